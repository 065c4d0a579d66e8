// b2b-onboarding: everything the Go custom handler needs, in one resource group.
//
//   Service Bus (Standard) queue `onboarding`  ──trigger──▶  Function App (Flex Consumption, custom runtime)
//   Storage account: deployment container + state table      ─▶ Microsoft Graph (managed identity, app roles)
//   Log Analytics + Application Insights, dead-letter alert
//
// Two user-assigned managed identities: the runtime identity (`identity`) for
// host storage, the Service Bus trigger and scheduler, the state table and
// Application Insights, with Azure roles only; and the Graph identity
// (`graphIdentity`, GRAPH_CLIENT_ID) for Microsoft Graph only, with the Graph
// application permissions and no Azure role. No keys or connection strings
// are created or stored.
//
// The app settings below must match config.Settings (config/settings.go);
// deploytest/configcheck_test.go fails when a setting the code reads is
// missing here. Deploy: see docs/deploy.md.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- names

@description('Short name used in every resource name: 3-11 lowercase letters or digits.')
@minLength(3)
@maxLength(11)
param appName string = 'onboard'

@description('Region for all resources; must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

var suffix = uniqueString(resourceGroup().id, appName)
var storageAccountName = take('st${appName}${suffix}', 24)
var deploymentContainerName = 'app-package'

// ---------------------------------------------------------------- Service Bus queue

@description('Queue the trigger reads and reminders/retries are scheduled on (ONBOARDING_QUEUE).')
param queueName string = 'onboarding'

// The queue's properties (lock duration, max delivery count, duplicate detection window,
// default TTL, dead-lettering on expiry) live in queue.json, which `onboard dev` embeds for its
// own queue (infra/queue.go), so a local run meets the same queue. Change them there; why these
// numbers: docs/deploy.md. deploytest checks the queue below takes each from this variable.
var queueSettings = loadJsonContent('queue.json')

// ---------------------------------------------------------------- outcome events (topic)

@description('Topic the outcome events are published to (OUTCOMES_TOPIC); procurement reads them from the `procurement` subscription.')
param outcomesTopicName string = 'onboarding-outcomes'

@description('Prefix of the outcome events\' CloudEvent types, e.g. `com.contoso.onboarding.` (OUTCOME_TYPE_PREFIX).')
param outcomeTypePrefix string = ''

// ---------------------------------------------------------------- state

@description('Table holding onboarding records and the failure log (STATE_TABLE_NAME).')
param stateTableName string = 'onboarding'

// ---------------------------------------------------------------- app behaviour (app settings)

@description('Microsoft Graph base URL (GRAPH_BASE_URL); another national cloud if needed.')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('Comma-separated group object ids guests may be added to; `*` = any; empty = none (POLICY_ALLOWED_GROUPS). Non-empty also grants GroupMember.ReadWrite.All.')
param policyAllowedGroups string = ''

@description('Comma-separated directory role definition ids that may be assigned; `*` = any; empty = none (POLICY_ALLOWED_ROLES). Non-empty also grants RoleManagement.ReadWrite.Directory.')
param policyAllowedRoles string = ''

@description('Privileged role ids (e.g. Global Administrator) explicitly allowed; empty = none (POLICY_ALLOWED_PRIVILEGED_ROLES).')
param policyAllowedPrivilegedRoles string = ''

@description('Comma-separated resource service principal ids whose app roles may be assigned; `*` = any; empty = none (POLICY_ALLOWED_APPS). Non-empty also grants AppRoleAssignment.ReadWrite.All + Application.Read.All.')
param policyAllowedApps string = ''

@description('Comma-separated CloudEvent sources accepted, e.g. your procurement system; `*` = any; empty = every event refused (POLICY_ALLOWED_SOURCES).')
param policyAllowedSources string = ''

@description('Comma-separated email domains accepted; empty = no domain rule (POLICY_ALLOWED_DOMAINS).')
param policyAllowedDomains string = ''

@description('Comma-separated email domains refused, for the invitee and invitation.cc; empty = no domain rule (POLICY_BLOCKED_DOMAINS).')
param policyBlockedDomains string = ''

@description('Comma-separated domains invitation.cc may name; empty = the invitee domain rules apply to it (POLICY_ALLOWED_CC_DOMAINS).')
param policyAllowedCcDomains string = ''

@description('`true` lets an event invite with userType Member (POLICY_ALLOW_MEMBER_USER_TYPE).')
@allowed([
  'false'
  'true'
])
param policyAllowMemberUserType string = 'false'

@description('Hosts an invitation may redirect the guest to, https only (POLICY_ALLOWED_REDIRECT_HOSTS); inviteRedirectUrl must be one of them.')
param policyAllowedRedirectHosts string = 'myapps.microsoft.com,myapplications.microsoft.com,myaccount.microsoft.com'

@description('An address that belongs to a user this app did not create (POLICY_EXISTING_USERS): `adopt-guests` gives a guest assignments only and refuses a member; `refuse`; `adopt-all`. Their identity is never changed and they are never disabled or deleted.')
@allowed([
  'adopt-guests'
  'refuse'
  'adopt-all'
])
param policyExistingUsers string = 'adopt-guests'

@description('When reminders are due, from the first invitation (REMINDER_SCHEDULE).')
param reminderSchedule string = '3d,7d,14d'

@description('When a guest still PendingAcceptance is marked expired (REMINDER_EXPIRE_AFTER).')
param reminderExpireAfter string = '30d'

@description('What expiry does to the guest (EXPIRY_ACTION). `delete` needs no extra Graph permission beyond User.ReadWrite.All.')
@allowed([
  'none'
  'disable'
  'delete'
])
param expiryAction string = 'none'

@description('inviteRedirectUrl when an event gives none (INVITE_REDIRECT_URL).')
param inviteRedirectUrl string = 'https://myapps.microsoft.com'

@description('Extra CloudEvent types, e.g. `com.contoso.partner.approved=partner-approved` (EVENT_TYPE_ALIASES).')
param eventTypeAliases string = ''

@description('Log level of the handler (LOG_LEVEL).')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

// ---------------------------------------------------------------- scale

@description('Upper bound of Flex Consumption instances. Each runs up to 16 messages at once (host.json maxConcurrentCalls); Graph throttles invitations per tenant, so more is rarely faster.')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// ---------------------------------------------------------------- permissions and alerts

@description('Grant the Microsoft Graph application permissions to the Graph identity (graphIdentity) from this template (Microsoft Graph Bicep extension; the deploying user needs Privileged Role Administrator or equivalent). Set false and run infra/grant-graph-permissions.sh instead when an Entra admin grants them separately.')
param grantGraphPermissions bool = true

@description('Email address that receives dead-letter alerts.')
param alertEmail string

@description('Optional object id of a user or group running `onboard dlq|status|send` (Service Bus Data Receiver + Sender, Table Data Reader).')
param operatorPrincipalId string = ''

@allowed([
  'User'
  'Group'
])
param operatorPrincipalType string = 'Group'

// Microsoft Graph application permissions, least privilege per call (docs/deploy.md
// explains each). Assignment permissions follow the policy allow-lists: an
// empty list means the workflow never makes that call, so no permission.
// Keep in step with infra/grant-graph-permissions.sh (deploytest checks both).
var graphPermissionList = concat(
  [
    'User.Invite.All' // POST /invitations (invite and resend)
    'User.ReadWrite.All' // read users, PATCH properties, manager $ref, disable/delete on expiry
  ],
  !empty(policyAllowedGroups) ? ['GroupMember.ReadWrite.All'] : [],
  !empty(policyAllowedRoles) ? ['RoleManagement.ReadWrite.Directory'] : [],
  !empty(policyAllowedApps) ? ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All'] : []
)

// Built-in Azure role definitions (ids are the same in every tenant).
var roles = {
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ================================================================ identities

// The runtime identity: host storage, Service Bus, the state table and
// Application Insights (the Azure roles below). It holds no Graph permission.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${appName}-${suffix}'
  location: location
}

// The Graph identity: Microsoft Graph only (GRAPH_CLIENT_ID). It holds the
// Graph application permissions and no Azure role, and nothing else uses it,
// so Graph power never rides on the roles needed to run the app and its
// assignments and sign-ins can be reviewed on their own (docs/deploy.md).
resource graphIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${appName}-graph-${suffix}'
  location: location
}

// ================================================================ monitoring

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${appName}-${suffix}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${appName}-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true // telemetry is sent with the managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  }
}

// ================================================================ Service Bus

resource serviceBus 'Microsoft.ServiceBus/namespaces@2021-11-01' = {
  name: 'sb-${appName}-${suffix}'
  location: location
  sku: {
    name: 'Standard' // Basic has neither duplicate detection nor scheduled messages
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: true // no SAS keys: Entra ID (RBAC) only
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2021-11-01' = {
  parent: serviceBus
  name: queueName
  properties: {
    requiresDuplicateDetection: queueSettings.requiresDuplicateDetection
    duplicateDetectionHistoryTimeWindow: queueSettings.duplicateDetectionHistoryTimeWindow
    maxDeliveryCount: queueSettings.maxDeliveryCount
    lockDuration: queueSettings.lockDuration // PT5M, the Service Bus maximum; the host renews it up to maxAutoLockRenewalDuration
    deadLetteringOnMessageExpiration: queueSettings.deadLetteringOnMessageExpiration
    defaultMessageTimeToLive: queueSettings.defaultMessageTimeToLive
    requiresSession: false
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

// Outcome events: published with deterministic MessageIds, so duplicate
// detection (the same window as the queue's) drops a repeated publication.
resource outcomesTopic 'Microsoft.ServiceBus/namespaces/topics@2021-11-01' = {
  parent: serviceBus
  name: outcomesTopicName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: queueSettings.duplicateDetectionHistoryTimeWindow // as the queue's
    defaultMessageTimeToLive: queueSettings.defaultMessageTimeToLive // as the queue's
    enablePartitioning: false
    maxSizeInMegabytes: 1024
  }
}

// The subscription procurement listens on (README, "Listening for outcomes").
resource procurementSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2021-11-01' = {
  parent: outcomesTopic
  name: 'procurement'
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: queueSettings.maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: queueSettings.defaultMessageTimeToLive // as the queue's
  }
}

// ================================================================ storage

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity only, for the host, deployment and the state table
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource stateTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: stateTableName
}

// ================================================================ RBAC for the managed identity

// Trigger (receive, complete, abandon) on the namespace.
resource sbReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus
  name: guid(serviceBus.id, identity.id, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Scheduler: reminders and retries are scheduled messages sent with azservicebus.
resource sbSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus
  name: guid(serviceBus.id, identity.id, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Outcome events: Data Sender on the outcomes topic only.
resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: outcomesTopic
  name: guid(outcomesTopic.id, identity.id, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Host storage (AzureWebJobsStorage: leases, keys) and the Flex deployment container.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// State table: onboarding records and the failure log.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry to Application Insights with Entra ID authentication.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ================================================================ optional operator access (onboard dlq / status / send)

resource opReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  scope: serviceBus
  name: guid(serviceBus.id, operatorPrincipalId, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

resource opSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  scope: serviceBus
  name: guid(serviceBus.id, operatorPrincipalId, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

resource opTableReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  scope: storage
  name: guid(storage.id, operatorPrincipalId, roles.storageTableDataReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataReader)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// ================================================================ Microsoft Graph application permissions

module graphPermissions 'modules/graph-permissions.bicep' = if (grantGraphPermissions) {
  name: 'graph-permissions-${appName}'
  params: {
    principalId: graphIdentity.properties.principalId
    permissions: graphPermissionList
  }
}

// ================================================================ Function App (Flex Consumption, custom handler)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${appName}-${suffix}'
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

// Every setting the code reads (config.Settings) that has no safe default,
// plus the host's identity-based connections. On Flex Consumption the worker
// runtime is functionAppConfig.runtime, not FUNCTIONS_WORKER_RUNTIME, and
// FUNCTIONS_EXTENSION_VERSION / WEBSITE_RUN_FROM_PACKAGE are not allowed.
var appSettings = {
  // Functions host storage, by identity.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'

  // Service Bus: the trigger (connection "ServiceBusConnection" in function.json) and the scheduler.
  ServiceBusConnection__fullyQualifiedNamespace: replace(replace(serviceBus.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identity.properties.clientId
  ONBOARDING_QUEUE: queueName
  SCHEDULER: 'servicebus'
  OUTCOMES_TOPIC: outcomesTopic.name
  OUTCOME_TYPE_PREFIX: outcomeTypePrefix

  // The app's identity (state table, Service Bus); Microsoft Graph with the Graph identity only.
  GRAPH_BASE_URL: graphBaseUrl
  GRAPH_AUTH: 'managedidentity'
  AZURE_CLIENT_ID: identity.properties.clientId
  GRAPH_CLIENT_ID: graphIdentity.properties.clientId

  // State table, by identity.
  STATE_STORE: 'tables'
  STATE_TABLE_ENDPOINT: 'https://${storage.name}.table.${environment().suffixes.storage}'
  STATE_TABLE_NAME: stateTableName

  // Policy (DESIGN §5).
  POLICY_ALLOWED_GROUPS: policyAllowedGroups
  POLICY_ALLOWED_ROLES: policyAllowedRoles
  POLICY_ALLOWED_PRIVILEGED_ROLES: policyAllowedPrivilegedRoles
  POLICY_ALLOWED_APPS: policyAllowedApps
  POLICY_ALLOWED_SOURCES: policyAllowedSources
  POLICY_ALLOWED_DOMAINS: policyAllowedDomains
  POLICY_BLOCKED_DOMAINS: policyBlockedDomains
  POLICY_ALLOWED_CC_DOMAINS: policyAllowedCcDomains
  POLICY_ALLOW_MEMBER_USER_TYPE: policyAllowMemberUserType
  POLICY_ALLOWED_REDIRECT_HOSTS: policyAllowedRedirectHosts
  POLICY_EXISTING_USERS: policyExistingUsers

  // Workflow.
  REMINDER_SCHEDULE: reminderSchedule
  REMINDER_EXPIRE_AFTER: reminderExpireAfter
  EXPIRY_ACTION: expiryAction
  INVITE_REDIRECT_URL: inviteRedirectUrl
  EVENT_TYPE_ALIASES: eventTypeAliases

  // Logs: JSON lines are what Application Insights traces index best.
  LOG_FORMAT: 'json'
  LOG_LEVEL: logLevel
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-${appName}-${suffix}'
  location: location
  kind: 'functionapp,linux'
  // azd deploys the service of azure.yaml named here to this app
  tags: {
    'azd-service-name': 'onboard'
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
      '${graphIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'custom' // Go custom handler: host.json customHandler runs ./handler serve
        version: '1.0'
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

// Settings are applied once the identity can use what they point at, so the
// host does not start against resources it cannot reach yet.
resource functionAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
  dependsOn: [
    sbReceiver
    sbSender
    blobOwner
    tableContributor
    metricsPublisher
    stateTable
    queue
  ]
}

// ================================================================ dead-letter alert

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${appName}-${suffix}'
  location: 'global'
  properties: {
    groupShortName: take('onb-${appName}', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Fires while the queue's dead-letter sub-queue holds anything: a permanent
// failure (invalid event, policy, Graph 400/403) or an expired message.
// `onboard dlq list` shows each one with the recorded reason.
resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${appName}-${queueName}-deadletters'
  location: 'global'
  properties: {
    description: 'Messages in ${queueName}/$deadletterqueue: run `onboard dlq list` to see why, fix the cause, then `onboard dlq replay`.'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: 'DeadletteredMessages'
          criterionType: 'StaticThresholdCriterion'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                queueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
  dependsOn: [
    queue
  ]
}

// ================================================================ outputs

output functionAppName string = functionApp.name
@description('Host name of the function app (<name>.azurewebsites.net).')
output functionAppHostName string = functionApp.properties.defaultHostName
@description('URL of the function app: `onboard status --url` takes it (with --code, the function key).')
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
@description('Service Bus namespace host: ServiceBusConnection__fullyQualifiedNamespace for `onboard send|dlq --servicebus`.')
output serviceBusNamespace string = appSettings.ServiceBusConnection__fullyQualifiedNamespace
output queueName string = queue.name
output storageAccountName string = storage.name
output stateTableEndpoint string = appSettings.STATE_TABLE_ENDPOINT
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
@description('Client id of the identity used for Microsoft Graph only (GRAPH_CLIENT_ID).')
output graphIdentityClientId string = graphIdentity.properties.clientId
@description('Object id of the identity used for Microsoft Graph only: the principal that holds the Graph permissions.')
output graphIdentityPrincipalId string = graphIdentity.properties.principalId
@description('Graph application permissions the Graph identity needs (granted here when grantGraphPermissions is true).')
output graphPermissions array = graphPermissionList
