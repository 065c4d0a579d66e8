// Package config reads and validates the app settings (environment
// variables, as Azure Functions passes them) once at start-up. Settings is
// the single list of every setting the code reads; the configuration test
// checks that each one is documented in the README, present in
// local.settings.sample.json and set by the Bicep templates.
package config

// Setting describes one app setting.
type Setting struct {
	Name    string
	Default string // empty: no default
	Doc     string // one line for the README table
	// Optional settings may be absent from local.settings.sample.json and
	// the Bicep app settings (they have a sensible default or are per-user).
	Optional bool
}

// Settings is every app setting the code reads, in README order.
var Settings = []Setting{
	{Name: "FUNCTIONS_CUSTOMHANDLER_PORT", Default: "8080", Optional: true,
		Doc: "Port `serve` listens on (127.0.0.1 only); set by the Functions host."},
	{Name: "GRAPH_BASE_URL", Default: "https://graph.microsoft.com/v1.0",
		Doc: "Microsoft Graph base URL; point it at `onboard graphsim` for local runs."},
	{Name: "GRAPH_AUTH", Default: "managedidentity",
		Doc: "`managedidentity`, `default` (DefaultAzureCredential) or `none` (loopback GRAPH_BASE_URL only)."},
	{Name: "AZURE_CLIENT_ID", Optional: true,
		Doc: "Client id of the app's user-assigned managed identity: state table, Service Bus, and Graph unless GRAPH_CLIENT_ID is set (read by azidentity too)."},
	{Name: "GRAPH_CLIENT_ID", Optional: true,
		Doc: "Client id of a user-assigned managed identity used for Microsoft Graph only (GRAPH_AUTH=managedidentity; refused with `default` and `none`); unset = the app's identity (AZURE_CLIENT_ID)."},
	{Name: "SCHEDULER", Default: "servicebus",
		Doc: "`servicebus` (scheduled messages through azservicebus) or `memory` (in-process, local tests only)."},
	{Name: "ServiceBusConnection", Optional: true,
		Doc: "Service Bus connection string (alternative to the identity-based setting below)."},
	{Name: "ServiceBusConnection__fullyQualifiedNamespace",
		Doc: "Service Bus namespace host, e.g. `contoso-onboarding.servicebus.windows.net` (identity-based)."},
	{Name: "ServiceBusConnection__clientId", Optional: true,
		Doc: "Client id of the user-assigned identity for Service Bus."},
	{Name: "ServiceBusConnection__credential", Optional: true,
		Doc: "`managedidentity` to use the managed identity for Service Bus."},
	{Name: "ONBOARDING_QUEUE", Default: "onboarding",
		Doc: "Queue the trigger reads and reminders/retries are scheduled on."},
	{Name: "OUTCOMES_TOPIC", Default: "onboarding-outcomes",
		Doc: "Service Bus topic the outcome events (partner-invited, -provisioned, -accepted, -reminded, -expired, -failed) are published to; duplicate detection must be on."},
	{Name: "OUTCOME_TYPE_PREFIX", Optional: true,
		Doc: "Prefix of the outcome events' CloudEvent types, e.g. `com.contoso.onboarding.`; unset = the bare names."},
	{Name: "STATE_STORE", Default: "tables",
		Doc: "`tables` (Azure Table Storage) or `memory` (in-process, local tests only)."},
	{Name: "AzureWebJobsStorage", Optional: true,
		Doc: "Storage connection string; used for the state table when STATE_TABLE_CONNECTION and STATE_TABLE_ENDPOINT are unset."},
	{Name: "STATE_TABLE_CONNECTION", Optional: true,
		Doc: "Storage connection string for the state table (`UseDevelopmentStorage=true` for Azurite)."},
	{Name: "STATE_TABLE_ENDPOINT",
		Doc: "Table service URL for identity-based access, e.g. `https://acct.table.core.windows.net`."},
	{Name: "STATE_TABLE_NAME", Default: "onboarding",
		Doc: "Table holding onboarding records and the failure log."},
	{Name: "POLICY_ALLOWED_GROUPS",
		Doc: "Comma-separated group ids that may be assigned; `*` for any; unset = none."},
	{Name: "POLICY_ALLOWED_ROLES",
		Doc: "Comma-separated role definition ids that may be assigned; `*` for any role that is not privileged; unset = none."},
	{Name: "POLICY_ALLOWED_PRIVILEGED_ROLES", Optional: true,
		Doc: "Privileged role ids (Microsoft's PRIVILEGED label; custom and unknown roles count too) allowed one by one, each also in POLICY_ALLOWED_ROLES; `*` is refused; unset = none."},
	{Name: "POLICY_ALLOWED_APPS",
		Doc: "Comma-separated app role assignments allowed: `spId` (Default Access only), `spId/appRoleId`, `spId/*` (every app role); spId `*` = any app; unset = none."},
	{Name: "POLICY_ALLOWED_SOURCES",
		Doc: "Comma-separated CloudEvent `source`s accepted; `*` for any; unset = none."},
	{Name: "POLICY_ALLOWED_DOMAINS", Optional: true,
		Doc: "Comma-separated email domains accepted; unset = no domain rule."},
	{Name: "POLICY_BLOCKED_DOMAINS", Optional: true,
		Doc: "Comma-separated email domains refused (invitee and `invitation.cc`); unset = no domain rule."},
	{Name: "POLICY_ALLOWED_CC_DOMAINS", Optional: true,
		Doc: "Comma-separated domains `invitation.cc` may name; unset = the invitee's domain rules apply to it."},
	{Name: "POLICY_ALLOW_MEMBER_USER_TYPE", Default: "false",
		Doc: "`true` lets an event invite with `userType: Member`; `false` refuses it."},
	{Name: "POLICY_ALLOWED_REDIRECT_HOSTS", Default: "myapps.microsoft.com,myapplications.microsoft.com,myaccount.microsoft.com",
		Doc: "Hosts `redirectUrl` and INVITE_REDIRECT_URL may name (https only); `*` for any."},
	{Name: "POLICY_EXISTING_USERS", Default: "adopt-guests",
		Doc: "An address that belongs to a user this app did not create: `adopt-guests` (a guest gets assignments only, a member is refused), `refuse` or `adopt-all` (members too, assignments only). Their identity is never changed and they are never disabled or deleted."},
	{Name: "REMINDER_SCHEDULE", Default: "3d,7d,14d",
		Doc: "When reminders (re-invitations) are due, measured from the first invitation; units s, m, h, d."},
	{Name: "REMINDER_EXPIRE_AFTER", Default: "30d",
		Doc: "When a guest still PendingAcceptance is marked expired (from the first invitation); must exceed the last reminder."},
	{Name: "EXPIRY_ACTION", Default: "none",
		Doc: "What expiry does to the guest: `none`, `disable` (block sign-in) or `delete`."},
	{Name: "INVITE_REDIRECT_URL", Default: "https://myapps.microsoft.com",
		Doc: "inviteRedirectUrl when an event gives no redirectUrl."},
	{Name: "EVENT_TYPE_ALIASES", Optional: true,
		Doc: "Extra CloudEvent types, e.g. `com.contoso.procurement.partner-approved=partner-approved`."},
	{Name: "RETRY_INITIAL_DELAY", Default: "30s", Optional: true,
		Doc: "First backoff of a transiently failed event (Retry-After wins when larger)."},
	{Name: "RETRY_MAX_DELAY", Default: "1h", Optional: true,
		Doc: "Largest backoff between retries."},
	{Name: "RETRY_MAX_ELAPSED", Default: "24h", Optional: true,
		Doc: "Total time after the first failure past which a transient failure becomes permanent."},
	{Name: "INVITE_RATE_LIMIT", Default: "145", Optional: true,
		Doc: "Invitations one instance sends per 5 s (Graph allows 150 per tenant): with N instances set it below 150/N; `0` turns pacing off (docs/retries.md)."},
	{Name: "MAX_INVOCATION_BYTES", Default: "1MiB", Optional: true,
		Doc: "Largest invocation body the handler reads (bytes, or KiB/MiB); fits a 256 KB Standard-tier message, base64-encoded, with its metadata."},
	{Name: "REPLICATION_SETTLE_WINDOW", Default: "5m", Optional: true,
		Doc: "How long after an invitation a 404 on a write for the guest counts as Graph replication lag and is retried."},
	{Name: "LOG_FORMAT", Default: "text", Optional: true,
		Doc: "`text` or `json` (structured slog)."},
	{Name: "LOG_LEVEL", Default: "info", Optional: true,
		Doc: "`debug`, `info`, `warn` or `error`."},
}

// Lookup returns the Setting named name.
func Lookup(name string) (Setting, bool) {
	for _, s := range Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}
