// What the Prefect ACI worker needs, and no more. For each flow run prefect-azure's worker creates
// an ARM deployment of a container group in this resource group (attaching the runtime identity
// and the data share, whose key ARM reads with listKeys), watches it, reads its logs and deletes
// it. Contributor on the resource group would cover that, but whoever can edit the work pool's
// template in Prefect could then have the worker deploy any resource here; this role allows
// container groups and deployments only, and the identity it may attach is the runtime one.
//
// The worker deletes the container group but never its deployment record (prefect-azure 0.4.13:
// deployments.begin_create_or_update 'prefect-<flow>-<flow run id>', container_groups.begin_delete,
// nothing else). A resource group keeps at most 800 deployment records; past 700, ARM deletes
// the oldest down to 600 as the identity that deploys, which needs deployments/delete. Without it
// the history fills in about 16 days (49 runs a day) and then every flow run's deployment fails
// with DeploymentQuotaExceeded.

@description('Principal id of the worker identity.')
param workerPrincipalId string

@description('Name of the runtime identity the flow-run container groups carry.')
param runtimeIdentityName string

var identityOperator = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'f1a07417-d97a-45cb-824c-7a7467783830')

resource launcher 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'ercot-dart-aci-launcher')
  properties: {
    roleName: 'ercot-dart ACI flow-run launcher (${resourceGroup().name})'
    description: 'Create, watch and delete the container groups of Prefect flow runs through ARM deployments in one resource group, and prune the deployment history.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Resources/subscriptions/resourceGroups/read'
          'Microsoft.Resources/deployments/read'
          'Microsoft.Resources/deployments/write'
          // ARM's automatic pruning of the deployment history, done as this identity
          'Microsoft.Resources/deployments/delete'
          'Microsoft.Resources/deployments/operations/read'
          'Microsoft.Resources/deployments/operationstatuses/read'
          'Microsoft.ContainerInstance/containerGroups/read'
          'Microsoft.ContainerInstance/containerGroups/write'
          'Microsoft.ContainerInstance/containerGroups/delete'
          'Microsoft.ContainerInstance/containerGroups/stop/action'
          'Microsoft.ContainerInstance/containerGroups/containers/logs/read'
          // listKeys of the data share account, evaluated by ARM in the container group template;
          // the blob account refuses shared keys, so its keys would open nothing
          'Microsoft.Storage/storageAccounts/read'
          'Microsoft.Storage/storageAccounts/listKeys/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// a role definition is a subscription-level resource wherever it is declared: assignments name it
// by its subscription resource id (referring to launcher.name keeps the dependency)
var launcherId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', launcher.name)

resource launch 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, workerPrincipalId, launcherId)
  properties: {
    roleDefinitionId: launcherId
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource runtime 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: runtimeIdentityName
}

// Managed Identity Operator on the runtime identity alone: the worker may attach it (assign/action)
// to a container group, and no other identity
resource attach 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtime.id, workerPrincipalId, identityOperator)
  scope: runtime
  properties: {
    roleDefinitionId: identityOperator
    principalId: workerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output roleDefinitionId string = launcherId
