#!/usr/bin/env bash
# Grants the Microsoft Graph application permissions b2b-onboarding needs to
# its Graph identity (the managed identity GRAPH_CLIENT_ID names, used for
# Microsoft Graph only; never the runtime identity), least privilege per
# call (docs/deploy.md explains each):
#
#   User.Invite.All                     always: POST /invitations (invite, resend)
#   User.ReadWrite.All                  always: read users, properties, manager, disable/delete
#   GroupMember.ReadWrite.All           only with --groups (POLICY_ALLOWED_GROUPS not empty)
#   RoleManagement.ReadWrite.Directory  only with --roles  (POLICY_ALLOWED_ROLES not empty)
#   AppRoleAssignment.ReadWrite.All     only with --apps   (POLICY_ALLOWED_APPS not empty)
#   Application.Read.All                only with --apps
#
# Use it instead of the template's Microsoft Graph extension
# (grantGraphPermissions=false) when an Entra admin grants permissions
# separately from the Azure deployment. Run it signed in (`az login`) as a
# Privileged Role Administrator (or Global Administrator).
#
# Usage:
#   infra/grant-graph-permissions.sh --resource-group <rg> [--deployment <name>] [--dry-run]
#       principal (graphIdentityPrincipalId) and permission list from the
#       outputs of the main.bicep deployment
#   infra/grant-graph-permissions.sh --principal-id <object-id> [--groups] [--roles] [--apps] [--dry-run]
#
# It is idempotent: permissions already granted are skipped. Graph permissions
# the identity holds but no longer needs are listed with the command that
# removes them; nothing is removed automatically.
set -euo pipefail

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
GRAPH_URL=${GRAPH_URL:-https://graph.microsoft.com/v1.0}

usage() { sed -n '2,/^set /s/^# \{0,1\}//p' "$0" >&2; exit 2; }
die() { echo "grant-graph-permissions: $*" >&2; exit 1; }

principal= rg= deployment=main dry_run=false groups=false roles=false apps=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --principal-id) principal=${2:?--principal-id needs a value}; shift 2 ;;
    --resource-group|-g) rg=${2:?--resource-group needs a value}; shift 2 ;;
    --deployment|-n) deployment=${2:?--deployment needs a value}; shift 2 ;;
    --groups) groups=true; shift ;;
    --roles) roles=true; shift ;;
    --apps) apps=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) usage ;;
    *) echo "grant-graph-permissions: unknown argument $1" >&2; usage ;;
  esac
done

command -v az >/dev/null || die "the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli"

permissions=()
if [[ -n $rg ]]; then
  [[ -z $principal ]] || die "give either --resource-group or --principal-id, not both"
  principal=$(az deployment group show -g "$rg" -n "$deployment" \
    --query properties.outputs.graphIdentityPrincipalId.value -o tsv | tr -d '\r') ||
    die "cannot read deployment $deployment in resource group $rg"
  list=$(az deployment group show -g "$rg" -n "$deployment" \
    --query 'properties.outputs.graphPermissions.value[]' -o tsv | tr -d '\r') ||
    die "cannot read deployment $deployment in resource group $rg"
  for p in $list; do permissions+=("$p"); done
  if [[ -z $principal || ${#permissions[@]} -eq 0 ]]; then
    die "deployment $deployment has no graphIdentityPrincipalId/graphPermissions outputs (deployed from infra/main.bicep?)"
  fi
else
  [[ -n $principal ]] || die "--principal-id or --resource-group is required"
  # The same rule as graphPermissionList in infra/main.bicep.
  permissions=(User.Invite.All User.ReadWrite.All)
  if $groups; then permissions+=(GroupMember.ReadWrite.All); fi
  if $roles; then permissions+=(RoleManagement.ReadWrite.Directory); fi
  if $apps; then permissions+=(AppRoleAssignment.ReadWrite.All Application.Read.All); fi
fi
[[ $principal =~ ^[0-9a-fA-F-]{36}$ ]] || die "principal id must be an object id (GUID), got '$principal'"

graph_sp=$(az ad sp show --id "$GRAPH_APP_ID" --query id -o tsv | tr -d '\r') ||
  die "cannot read the Microsoft Graph service principal"
[[ -n $graph_sp ]] || die "the Microsoft Graph service principal has no id"

# "<permission>\t<app role id>" for every Graph application permission.
roles_tsv=$(az ad sp show --id "$GRAPH_APP_ID" \
  --query "appRoles[?contains(allowedMemberTypes, 'Application')].[value, id]" -o tsv | tr -d '\r') ||
  die "cannot read the app roles of Microsoft Graph"
declare -A role_id=() role_name=()
while IFS=$'\t' read -r value id; do
  if [[ -n $value ]]; then
    role_id[$value]=$id
    role_name[$id]=$value
  fi
done <<<"$roles_tsv"

# "<app role id>\t<assignment id>" already assigned to the identity on Microsoft Graph.
held_tsv=$(az rest --method GET \
  --uri "$GRAPH_URL/servicePrincipals/$principal/appRoleAssignments" \
  --query "value[?resourceId=='$graph_sp'].[appRoleId, id]" -o tsv | tr -d '\r') ||
  die "cannot list the app role assignments of $principal"
declare -A held=()
while IFS=$'\t' read -r id assignment; do
  if [[ -n $id ]]; then held[$id]=$assignment; fi
done <<<"$held_tsv"

declare -A wanted=()
for p in "${permissions[@]}"; do
  id=${role_id[$p]:-}
  [[ -n $id ]] || die "Microsoft Graph has no application permission named $p"
  wanted[$id]=1
  if [[ -n ${held[$id]:-} ]]; then
    echo "already granted: $p"
  elif $dry_run; then
    echo "would grant:     $p"
  else
    az rest --method POST \
      --uri "$GRAPH_URL/servicePrincipals/$graph_sp/appRoleAssignedTo" \
      --headers Content-Type=application/json \
      --body "{\"principalId\":\"$principal\",\"resourceId\":\"$graph_sp\",\"appRoleId\":\"$id\"}" \
      --output none
    echo "granted:         $p"
  fi
done

for id in "${!held[@]}"; do
  if [[ -z ${wanted[$id]:-} ]]; then
    echo "not needed:      ${role_name[$id]:-$id} (remove with:" >&2
    echo "  az rest --method DELETE --uri $GRAPH_URL/servicePrincipals/$principal/appRoleAssignments/${held[$id]} )" >&2
  fi
done
