// The scoring service (`ercot-dart serve`, the Dockerfile's serve target) on Container Apps:
// external HTTPS ingress to port 8000, probes on /health (liveness, startup) and /ready
// (readiness: no traffic before a bundle is loaded), at least one replica, an HTTP scale rule.

@description('Azure region.')
param location string

@description('Short name the resources are named from.')
param name string

@description('Tags of every resource.')
param tags object

@description('Container Apps environment id.')
param environmentId string

@description('Name of the environment storage of the data share.')
param dataStorageName string

@description('Registry login server, e.g. ercotdartxyz.azurecr.io.')
param registryServer string

@description('Image tag of ercot-dart-serve.')
param imageTag string

@description('Resource id and client id of the scoring service identity.')
param identityId string
param identityClientId string

@description('Key Vault URI (https://<vault>.vault.azure.net/).')
param vaultUri string

@description('Model registry URL (https://<account>.blob.core.windows.net/models/<prefix>).')
param registryUrl string

@description('vCPU of each replica (Consumption pairs: 0.5/1Gi, 1.0/2Gi, 2.0/4Gi).')
param cpu string = '1.0'

@description('Memory of each replica.')
param memory string = '2Gi'

@description('Replicas the HTTP rule may scale out to.')
param maxReplicas int = 3

@description('Concurrent requests per replica before another is added.')
param concurrentRequests int = 50

var dataMount = '/mnt/dart-data'

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'ca-${name}-serve'
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environmentId
    configuration: {
      // one revision at a time: a release replaces it, a rollback redeploys the previous tag
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 8000
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'serve-api-key'
          keyVaultUrl: '${vaultUri}secrets/serve-api-key'
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'serve'
          image: '${registryServer}/ercot-dart-serve:${imageTag}'
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: [
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'ERCOT_DART_REGISTRY_URL'
              value: registryUrl
            }
            {
              name: 'ERCOT_DART_SERVE_API_KEY'
              // checkov:skip=CKV_SECRET_6:a reference to the Container App secret (from Key Vault), not a value
              secretRef: 'serve-api-key'
            }
            {
              name: 'ERCOT_DART_SERVE_FEATURE_STORE'
              value: '${dataMount}/features'
            }
            // bundles are fetched to local disk, not to the read-only share
            {
              name: 'ERCOT_DART_SERVE_CACHE_DIR'
              value: '/tmp/serve-cache'
            }
          ]
          volumeMounts: [
            {
              volumeName: 'dart-data'
              mountPath: dataMount
            }
          ]
          probes: [
            {
              // /health answers as soon as the process listens; Container Apps allows at most 10 failures
              type: 'Startup'
              httpGet: {
                path: '/health'
                port: 8000
              }
              initialDelaySeconds: 3
              periodSeconds: 5
              failureThreshold: 10
              timeoutSeconds: 3
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/health'
                port: 8000
              }
              periodSeconds: 10
              failureThreshold: 3
              timeoutSeconds: 3
            }
            {
              // 503 until the champion bundle is fetched, verified and loaded
              type: 'Readiness'
              httpGet: {
                path: '/ready'
                port: 8000
              }
              periodSeconds: 5
              failureThreshold: 3
              timeoutSeconds: 3
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'dart-data'
          storageType: 'AzureFile'
          storageName: dataStorageName
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
