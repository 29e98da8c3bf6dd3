// The three user-assigned identities, one per kind of workload, each with only the rights it needs
// (docs/deployment.md, "Identities and rights"):
//   runtime  the flow-run container groups: pulls the image, reads and writes blob storage
//   serve    the scoring service: pulls its image, reads the model registry, reads its API key
//   worker   the Prefect worker: pulls its image, reads the Prefect API key, creates the
//            flow-run container groups (with the runtime identity) in this resource group

@description('Azure region.')
param location string

@description('Short name the resources are named from.')
param name string

@description('Tags of every resource.')
param tags object

resource runtime 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-runtime'
  location: location
  tags: tags
}

resource serve 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-serve'
  location: location
  tags: tags
}

resource worker 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${name}-worker'
  location: location
  tags: tags
}

output runtimeId string = runtime.id
output runtimeName string = runtime.name
output runtimeClientId string = runtime.properties.clientId
output runtimePrincipalId string = runtime.properties.principalId
output serveId string = serve.id
output serveClientId string = serve.properties.clientId
output servePrincipalId string = serve.properties.principalId
output workerId string = worker.id
output workerClientId string = worker.properties.clientId
output workerPrincipalId string = worker.properties.principalId
