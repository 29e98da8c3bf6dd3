// Azure Container Registry of both images (ercot-dart-flows, ercot-dart-serve), pulled through
// managed identities only: no admin user, no anonymous pull, AcrPull for each puller.

@description('Azure region.')
param location string

@description('Registry name: 5-50 letters or digits, globally unique.')
param registryName string

@description('Tags of every resource.')
param tags object

@description('Principal ids that pull images (AcrPull).')
param pullPrincipalIds array

var acrPull = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d')

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  #checkov:skip=CKV_AZURE_139:Basic has no network rules or private endpoints; pushes and pulls need Entra ID (admin user and anonymous pull off). Premium + private endpoint is the hardening path (docs/deployment.md).
  #checkov:skip=CKV_AZURE_163:Image scanning is Microsoft Defender for Containers, a subscription plan (about $7 per vCore-month), not a registry setting; enable it with the security team.
  #checkov:skip=CKV_AZURE_166:Quarantine needs Premium; images are pushed only by CI from main, through OIDC, and pinned by tag.
  #checkov:skip=CKV_AZURE_233:Zone redundancy needs Premium; a registry outage delays a run, which the next schedule catches up.
  name: registryName
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    zoneRedundancy: 'Disabled'
  }
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in pullPrincipalIds: {
  name: guid(registry.id, principalId, acrPull)
  scope: registry
  properties: {
    roleDefinitionId: acrPull
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output id string = registry.id
output name string = registry.name
output loginServer string = registry.properties.loginServer
