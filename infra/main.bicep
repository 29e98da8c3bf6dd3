// ercot-dart on Azure, at resource group scope (docs/deployment.md walks through it):
//
//   az group create -n rg-ercot-dart -l southcentralus
//   az deployment group create -g rg-ercot-dart -n main -f infra/main.bicep -p infra/main.parameters.json
//
// In three passes, each adding to the last: first the foundation (registry, storage, identities
// and their rights, Key Vault, logs, the Container Apps environment); then, once the images are in
// the registry and the Key Vault holds prefect-api-key, deployWorker=true (the Prefect worker);
// then, once a first run has published a champion bundle and serve-api-key is set,
// deployServe=true (the scoring service, which is not ready without a champion). The flow runs
// themselves are ACI container groups the worker creates from infra/aci-job-template.json, which
// the output workPool fills (infra/create_work_pool.py).
targetScope = 'resourceGroup'

@description('Azure region of every resource (the resource group\'s by default).')
param location string = resourceGroup().location

@description('Short name the resources are named from: 3-11 lowercase letters or digits, starting with a letter.')
@minLength(3)
@maxLength(11)
param name string = 'ercotdart'

@description('Deploy the Prefect worker (Container App): once the flows image is pushed and Key Vault holds prefect-api-key.')
param deployWorker bool = false

@description('Deploy the scoring service (Container App): once the serve image is pushed, Key Vault holds serve-api-key and the registry has a champion.')
param deployServe bool = false

@description('Tag of both images (CI uses the git commit).')
param imageTag string = 'latest'

@description('Prefect Cloud workspace API URL: https://api.prefect.cloud/api/accounts/<account id>/workspaces/<workspace id>.')
param prefectApiUrl string = ''

@description('Object ids of the people or groups who operate the installation (az ad signed-in-user show --query id -o tsv): they set Key Vault secrets and manage the model registry (ercot-dart models rollback).')
param operators array = []

@description('GitHub OIDC subject trusted by the CI identity, e.g. repo:<org>/<repo>:environment:production; empty: no CI identity.')
param githubOidcSubject string = ''

@description('Scoring service: vCPU and memory of a replica, replicas at most, concurrent requests per replica.')
param serveCpu string = '1.0'
param serveMemory string = '2Gi'
param serveMaxReplicas int = 3
param serveConcurrentRequests int = 50

@description('Tags of every resource.')
param tags object = {
  project: 'ercot-dart'
}

// globally unique names, stable for the resource group
var suffix = uniqueString(resourceGroup().id)
var registryName = '${name}${suffix}'
var dataAccountName = take('${name}d${suffix}', 24)
var filesAccountName = take('${name}f${suffix}', 24)
var vaultName = take('kv-${name}-${suffix}', 24)
// the registry's bundles live under models/registry/ (ercot_dart/registry/location.py)
var registryPrefix = 'registry/'

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    name: name
    tags: tags
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    registryName: registryName
    tags: tags
    pullPrincipalIds: [
      identities.outputs.runtimePrincipalId
      identities.outputs.servePrincipalId
      identities.outputs.workerPrincipalId
    ]
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    dataAccountName: dataAccountName
    filesAccountName: filesAccountName
    tags: tags
    writerPrincipalId: identities.outputs.runtimePrincipalId
    readerPrincipalId: identities.outputs.servePrincipalId
    operatorPrincipalIds: operators
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: vaultName
    tags: tags
    // the Container Apps read their secrets by Key Vault reference with these identities
    readerPrincipalIds: [
      identities.outputs.servePrincipalId
      identities.outputs.workerPrincipalId
    ]
    officerPrincipalIds: operators
  }
}

module launcher 'modules/aci-launcher.bicep' = {
  name: 'aci-launcher'
  params: {
    workerPrincipalId: identities.outputs.workerPrincipalId
    runtimeIdentityName: identities.outputs.runtimeName
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  params: {
    location: location
    name: name
    tags: tags
    filesAccountName: storage.outputs.filesAccountName
    shareName: storage.outputs.shareName
  }
}

module serve 'modules/serve-app.bicep' = if (deployServe) {
  name: 'serve-app'
  params: {
    location: location
    name: name
    tags: tags
    environmentId: environment.outputs.id
    dataStorageName: environment.outputs.dataStorageName
    registryServer: registry.outputs.loginServer
    imageTag: imageTag
    identityId: identities.outputs.serveId
    identityClientId: identities.outputs.serveClientId
    vaultUri: vault.outputs.uri
    registryUrl: '${storage.outputs.blobEndpoint}models/${registryPrefix}'
    cpu: serveCpu
    memory: serveMemory
    maxReplicas: serveMaxReplicas
    concurrentRequests: serveConcurrentRequests
  }
}

module worker 'modules/worker-app.bicep' = if (deployWorker) {
  name: 'worker-app'
  params: {
    location: location
    name: name
    tags: tags
    environmentId: environment.outputs.id
    registryServer: registry.outputs.loginServer
    imageTag: imageTag
    identityId: identities.outputs.workerId
    identityClientId: identities.outputs.workerClientId
    vaultUri: vault.outputs.uri
    prefectApiUrl: prefectApiUrl
  }
}

module ci 'modules/ci-identity.bicep' = if (!empty(githubOidcSubject)) {
  name: 'ci-identity'
  params: {
    location: location
    name: name
    tags: tags
    subject: githubOidcSubject
    registryName: registry.outputs.name
  }
}

output registryName string = registry.outputs.name
output registryLoginServer string = registry.outputs.loginServer
output dataAccountName string = storage.outputs.dataAccountName
output blobEndpoint string = storage.outputs.blobEndpoint
output filesAccountName string = storage.outputs.filesAccountName
output keyVaultName string = vault.outputs.name
output runtimeClientId string = identities.outputs.runtimeClientId
output serveAppName string = 'ca-${name}-serve'
output workerAppName string = 'ca-${name}-worker'
output serveUrl string = deployServe ? 'https://${serve.outputs.fqdn}' : ''
output ciClientId string = empty(githubOidcSubject) ? '' : ci.outputs.clientId

// the values of infra/aci-job-template.json's variables for this installation
// (jq .workPool.value infra-outputs.json: docs/deployment.md step 2 keeps the outputs in that file,
// as ARM prunes the deployment record once flow runs have added some 700 of theirs)
output workPool object = {
  subscription_id: subscription().subscriptionId
  resource_group_name: resourceGroup().name
  identities: [
    identities.outputs.runtimeId
  ]
  image_registry: {
    registry_url: registry.outputs.loginServer
    identity: identities.outputs.runtimeId
  }
  data_storage_account: storage.outputs.filesAccountName
  data_share_name: storage.outputs.shareName
  env: {
    AZURE_CLIENT_ID: identities.outputs.runtimeClientId
    ERCOT_DART_REGISTRY_URL: '${storage.outputs.blobEndpoint}models/${registryPrefix}'
  }
}
