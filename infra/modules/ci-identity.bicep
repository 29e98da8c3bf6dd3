// The identity GitHub Actions signs in as (azure/login with client-id, tenant-id, subscription-id:
// OIDC, no stored password): a federated credential trusts the token GitHub issues to the deploy
// job, whose subject names the repository and the job's environment or branch. It pushes images
// (AcrPush) and updates the Container App and reads the resource group (Contributor on the group).

@description('Azure region.')
param location string

@description('Short name the resources are named from.')
param name string

@description('Tags of every resource.')
param tags object

@description('Subject of the GitHub OIDC token: repo:<org>/<repo>:environment:production for a job with `environment: production` (as .github/workflows/deploy.yml), repo:<org>/<repo>:ref:refs/heads/main for one without.')
param subject string

@description('Name of the container registry.')
param registryName string

var acrPush = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '8311e382-0749-4cb8-b61a-304f252e45ec')
var contributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')

resource ci 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-github'
  location: location
  tags: tags
}

resource github 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {
  parent: ci
  name: 'github-deploy'
  properties: {
    issuer: 'https://token.actions.githubusercontent.com'
    subject: subject
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource push 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, ci.id, acrPush)
  scope: registry
  properties: {
    roleDefinitionId: acrPush
    principalId: ci.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Contributor cannot grant roles, so CI cannot widen its own rights; the Bicep itself (which
// creates role assignments) is deployed by a person with Owner on the group.
resource deploy 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, ci.id, contributor)
  properties: {
    roleDefinitionId: contributor
    principalId: ci.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output clientId string = ci.properties.clientId
