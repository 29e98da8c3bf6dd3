// The Prefect worker of the ACI work pool, always on, as a Container App without ingress: it polls
// Prefect Cloud and creates one container group per flow run (modules/aci-launcher.bicep gives it
// the rights). It runs the flows image, which has prefect-azure at the project's versions.

@description('Azure region.')
param location string

@description('Short name the resources are named from.')
param name string

@description('Tags of every resource.')
param tags object

@description('Container Apps environment id.')
param environmentId string

@description('Registry login server.')
param registryServer string

@description('Image tag of ercot-dart-flows.')
param imageTag string

@description('Resource id and client id of the worker identity.')
param identityId string
param identityClientId string

@description('Key Vault URI (https://<vault>.vault.azure.net/).')
param vaultUri string

@description('Prefect Cloud workspace API URL.')
param prefectApiUrl string

@description('Work pool the worker serves.')
param workPool string = 'dart-aci'

var healthPort = 8080

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'ca-${name}-worker'
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
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'prefect-api-key'
          keyVaultUrl: '${vaultUri}secrets/prefect-api-key'
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: '${registryServer}/ercot-dart-flows:${imageTag}'
          command: [
            'prefect'
            'worker'
            'start'
            '--pool'
            workPool
            '--with-healthcheck'
            '--install-policy'
            'never'
          ]
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
          env: [
            {
              name: 'PREFECT_API_URL'
              value: prefectApiUrl
            }
            {
              name: 'PREFECT_API_KEY'
              // checkov:skip=CKV_SECRET_6:a reference to the Container App secret (from Key Vault), not a value
              secretRef: 'prefect-api-key'
            }
            // DefaultAzureCredential of the worker: the worker identity
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'PREFECT_WORKER_WEBSERVER_PORT'
              value: string(healthPort)
            }
          ]
          probes: [
            {
              // unhealthy when the worker has stopped polling Prefect
              type: 'Liveness'
              httpGet: {
                path: '/health'
                port: healthPort
              }
              initialDelaySeconds: 30
              periodSeconds: 30
              failureThreshold: 3
              timeoutSeconds: 5
            }
          ]
        }
      ]
      scale: {
        // exactly one: two workers would not double-run (Prefect hands each run to one), but cost more
        minReplicas: 1
        maxReplicas: 1
      }
    }
  }
}

output name string = app.name
