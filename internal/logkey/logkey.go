// Package logkey is the one vocabulary of structured log keys (log/slog
// attribute names) used by workflow, handlers, graph, store and servicebus,
// so that one query finds a message, an onboarding or a guest in every
// component's logs. Keys are lowerCamelCase, as the Functions host and the
// dev runtime (devhost) write theirs; values that may hold an email address
// are masked by the caller (workflow.MaskEmail, workflow.MaskEmails).
//
// It is a leaf package (no imports) so that every layer, the domain
// included, can use it.
package logkey

// A message on the queue and its delivery.
const (
	MessageID        = "messageId"        // Service Bus MessageId
	NewMessageID     = "newMessageId"     // the id a replayed dead letter is sent under
	DeliveryCount    = "deliveryCount"    // Service Bus delivery count (1 on the first delivery)
	MaxDeliveryCount = "maxDeliveryCount" // deliveries before a message is dead-lettered
	EventType        = "eventType"        // CloudEvent type
	EventID          = "eventId"          // CloudEvent id
	Due              = "due"              // when a scheduled message is to be delivered
	Immediate        = "immediate"        // a message sent without a scheduled time
	FirstAcceptedAt  = "firstAcceptedAt"  // when a message id was first accepted (duplicate detection)
	Queue            = "queue"            // queue name
	Scanned          = "scanned"          // messages looked at to find one
)

// An invocation of the custom handler by the Functions host.
const (
	Function     = "function"     // function (folder) name
	InvocationID = "invocationId" // the host's X-Azure-Functions-InvocationId
	Path         = "path"         // request path
	Method       = "method"       // request method
	StatusCode   = "statusCode"   // HTTP status answered
	Outcome      = "outcome"      // how the host settles the message (handlers.Outcome*)
	DurationMs   = "durationMs"   // time taken, in milliseconds
)

// An onboarding and what happened to it.
const (
	Key     = "key"     // onboarding key (the normalized email, masked)
	Email   = "email"   // an email address (masked)
	GuestID = "guestId" // the guest's directory object id
	UserID  = "userId"  // a directory user's object id
	Action  = "action"  // workflow.Result.Action
	Detail  = "detail"  // workflow.Result.Detail (masked)
	Reason  = "reason"  // why something was ignored or refused
	Number  = "number"  // reminder number (1-based)
	Cycle   = "cycle"   // onboarding cycle (0 for the first)
	Status  = "status"  // an invitation's status as Graph answered it
	Mail    = "mail"    // whether an invitation email was requested
	Enabled = "enabled" // accountEnabled as set
)

// Failures, retries and panics.
const (
	Error   = "error"   // the error text (masked where it may hold an address)
	Attempt = "attempt" // 1-based attempt number
	RetryIn = "retryIn" // delay before the next attempt, as a Go duration string ("1.5s")
	Panic   = "panic"   // a recovered panic's value (masked)
	Stack   = "stack"   // the stack of a recovered panic
)

// Graph and the store.
const (
	Component        = "component"        // the adapter a logger belongs to
	BaseURL          = "baseUrl"          // service root URL
	Auth             = "auth"             // authentication mode
	BatchConcurrency = "batchConcurrency" // $batch requests in flight at most
	Batch            = "batch"            // index of a $batch chunk
	Batches          = "batches"          // number of $batch requests
	Changes          = "changes"          // number of provisioning changes
	Items            = "items"            // number of $batch items
	Failed           = "failed"           // number of failed items or changes
	Count            = "count"            // number of things the message counts
	Table            = "table"            // Table Storage table name
)

// The runtimes: serve, dev and graphsim at start-up, and dev's console.
const (
	Addr             = "addr"             // address a server listens on
	Graph            = "graph"            // the Microsoft Graph base URL used
	Graphsim         = "graphsim"         // whether the embedded graphsim answers Graph
	Scheduler        = "scheduler"        // SCHEDULER: how reminders and retries are sent
	Store            = "store"            // STATE_STORE: where onboarding records live
	DevURL           = "devUrl"           // the dev runtime's base URL
	DataDir          = "dataDir"          // the dev runtime's data directory
	Handler          = "handler"          // the custom handler's URL
	Functions        = "functions"        // where the function definitions come from
	ReminderSchedule = "reminderSchedule" // REMINDER_SCHEDULE as given
	ExpireAfter      = "expireAfter"      // REMINDER_EXPIRE_AFTER as given
	Phase            = "phase"            // an onboarding's phase
	Log              = "log"              // what the handler logged for an invocation
	Took             = "took"             // time taken, as a Go duration string, for people reading dev's console
	Domain           = "domain"           // the simulated tenant's domain
	Admin            = "admin"            // graphsim's admin API URL
	InviteLimit      = "inviteLimit"      // graphsim's invitations per window
	ReplicationLag   = "replicationLag"   // graphsim's replication lag
	FailureRate      = "failureRate"      // graphsim's share of 503 answers
	CheckStatus      = "checkStatus"      // a doctor check's outcome: ok, fail or warn
	Fix              = "fix"              // what to do about a failed doctor check
)
