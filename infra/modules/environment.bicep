// Log Analytics and the Container Apps environment (Consumption) of the scoring service and the
// Prefect worker, with the data share registered read-only (the service reads the feature store
// for the LSTM's earlier hours).

@description('Azure region.')
param location string

@description('Short name the resources are named from.')
param name string

@description('Tags of every resource.')
param tags object

@description('Storage account of the data share.')
param filesAccountName string

@description('The data share.')
param shareName string

@description('Days Log Analytics keeps the logs (30 are included in the ingestion price).')
param retentionDays int = 30

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
    workspaceCapping: {
      // a runaway log loop costs at most ~1 GB a day
      dailyQuotaGb: 1
    }
  }
}

resource env 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${name}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
    zoneRedundant: false
  }
}

resource files 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: filesAccountName
}

resource data 'Microsoft.App/managedEnvironments/storages@2024-03-01' = {
  parent: env
  name: 'dart-data'
  properties: {
    azureFile: {
      accountName: filesAccountName
      accountKey: files.listKeys().keys[0].value
      shareName: shareName
      accessMode: 'ReadOnly'
    }
  }
}

output id string = env.id
output name string = env.name
output defaultDomain string = env.properties.defaultDomain
output dataStorageName string = data.name
