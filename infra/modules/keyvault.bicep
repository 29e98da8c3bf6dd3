// Key Vault of the secrets the Container Apps read by reference (RBAC mode, no access policies):
//   prefect-api-key  the worker's Prefect Cloud API key
//   serve-api-key    X-API-Key of POST /admin/reload
// and the sources of the Prefect Secret blocks (webhooks, SMTP password) the flow runs read.
// The values are set with `az keyvault secret set` (docs/deployment.md), never in this file.

@description('Azure region.')
param location string

@description('Vault name: 3-24 letters, digits and hyphens, globally unique.')
param vaultName string

@description('Tags of every resource.')
param tags object

@description('Principal ids that read secrets (Key Vault Secrets User).')
param readerPrincipalIds array

@description('Object ids of the people or groups who set the secrets (Key Vault Secrets Officer).')
param officerPrincipalIds array = []

var secretsUser = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
var secretsOfficer = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  #checkov:skip=CKV_AZURE_109:Container Apps on the Consumption plan without a VNet resolve Key Vault references from no fixed address, so a default-deny firewall would break them; access is Entra ID RBAC only. VNet + private endpoint is the hardening path (docs/deployment.md).
  #checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109.
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource read 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in readerPrincipalIds: {
  name: guid(vault.id, principalId, secretsUser)
  scope: vault
  properties: {
    roleDefinitionId: secretsUser
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource officers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in officerPrincipalIds: {
  name: guid(vault.id, principalId, secretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: secretsOfficer
    principalId: principalId
  }
}]

output name string = vault.name
output uri string = vault.properties.vaultUri
