// Two storage accounts:
//   data   blob containers predictions, models (the registry) and prefect-results; Entra ID only
//          (shared keys off), geo-redundant: the registry's bundles are what must survive.
//   files  the Azure Files share of ERCOT_DART_DATA_DIR (raw stage and feature store) that every
//          flow run mounts. ACI and Container Apps mount Azure Files with the account key only, so
//          this account keeps shared keys on; it holds a cache rebuildable from the source
//          database, and keeping it apart lets the data account refuse keys altogether.

@description('Azure region.')
param location string

@description('Name of the blob account: 3-24 lowercase letters or digits, globally unique.')
param dataAccountName string

@description('Name of the file share account: 3-24 lowercase letters or digits, globally unique.')
param filesAccountName string

@description('Tags of every resource.')
param tags object

@description('Principal id that reads and writes the blob containers (the runtime identity).')
param writerPrincipalId string

@description('Principal id that reads the model registry (the scoring service identity).')
param readerPrincipalId string

@description('Object ids of people or groups who manage the registry and read predictions (Storage Blob Data Contributor).')
param operatorPrincipalIds array = []

@description('Size limit of the data share (GiB); billed on use, not on the quota.')
param shareQuotaGiB int = 100

var blobContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
var blobReader = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')
var containerNames = [
  'predictions'
  'models'
  'prefect-results'
]

resource data 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  #checkov:skip=CKV_AZURE_35:The flow runs (ACI) and the Consumption Container Apps have no VNet and no fixed outbound address, so a default-deny firewall would shut them out; every request needs Entra ID (shared keys off). VNet + private endpoints is the hardening path (docs/deployment.md).
  #checkov:skip=CKV_AZURE_59:Same reason as CKV_AZURE_35: public endpoint, Entra ID only, no anonymous blob access.
  #checkov:skip=CKV_AZURE_43:The name is a parameter checkov cannot resolve; main.bicep makes it from lowercase letters and digits, at most 24 (take of name + uniqueString).
  name: dataAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: data
  name: 'default'
  properties: {
    // a bundle overwritten or deleted by mistake can be brought back
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: 14
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 14
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for c in containerNames: {
  parent: blobs
  name: c
  properties: {
    publicAccess: 'None'
  }
}]

resource files 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  #checkov:skip=CKV_AZURE_35:As for the data account: ACI and Consumption Container Apps have no fixed addresses to allow.
  #checkov:skip=CKV_AZURE_59:As for the data account; the share is reached over SMB 3 with encryption in transit.
  #checkov:skip=CKV_AZURE_43:The name is a parameter checkov cannot resolve; main.bicep makes it from lowercase letters and digits, at most 24 (take of name + uniqueString).
  #checkov:skip=CKV_AZURE_206:The share is a cache (raw stage and feature store) that build_features rebuilds from the source database; locally redundant is enough.
  #checkov:skip=CKV2_AZURE_40:ACI and Container Apps mount Azure Files with the account key only (no identity-based SMB mount); that is why this account is apart from the data account, which refuses keys.
  name: filesAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: files
  name: 'default'
  properties: {
    shareDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: 'dart-data'
  properties: {
    accessTier: 'TransactionOptimized'
    enabledProtocols: 'SMB'
    shareQuota: shareQuotaGiB
  }
}

resource write 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(data.id, writerPrincipalId, blobContributor)
  scope: data
  properties: {
    roleDefinitionId: blobContributor
    principalId: writerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource models 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobs
  name: 'models'
}

// the scoring service reads the registry only: Reader on the models container, nothing else
resource read 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(models.id, readerPrincipalId, blobReader)
  scope: models
  dependsOn: [
    containers
  ]
  properties: {
    roleDefinitionId: blobReader
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource operate 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in operatorPrincipalIds: {
  name: guid(data.id, principalId, blobContributor)
  scope: data
  properties: {
    roleDefinitionId: blobContributor
    principalId: principalId
  }
}]

output dataAccountName string = data.name
output blobEndpoint string = data.properties.primaryEndpoints.blob
output filesAccountName string = files.name
output shareName string = share.name
