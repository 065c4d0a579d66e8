// Grants Microsoft Graph application permissions (app roles of the Microsoft
// Graph service principal) to the Graph identity (graphIdentity in
// main.bicep, used for Microsoft Graph only), with the Microsoft Graph
// Bicep extension (infra/bicepconfig.json pins its version).
//
// The deploying user needs permission to grant app roles: Privileged Role
// Administrator, or an app with AppRoleAssignment.ReadWrite.All +
// Application.Read.All. When the Azure deployer is not an Entra admin, deploy
// main.bicep with grantGraphPermissions=false and have the admin run
// infra/grant-graph-permissions.sh instead.

extension microsoftGraphV1

@description('Object (principal) id of the Graph identity, the managed identity that calls Microsoft Graph and nothing else.')
param principalId string

@description('Graph application permission names, e.g. User.Invite.All (main.bicep computes the least-privilege list).')
param permissions array

// Microsoft Graph's service principal; its appId is the same in every tenant.
resource msGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for permission in permissions: {
  resourceId: msGraph.id
  appRoleId: (filter(msGraph.appRoles, role => role.value == permission && contains(role.allowedMemberTypes, 'Application'))[0]).id
  principalId: principalId
}]

output permissions array = permissions
