// Package devhost is the local runtime behind `onboard dev`: an embedded
// queue with Service Bus semantics and an emulator of the Azure Functions
// host that drives the custom handler over HTTP exactly as the host does.
// It imports neither the handler nor the domain: like the real host, it
// knows the handler only by its URL.
//
// # Queue
//
// Queue (NewQueue, or Broker.Queue for a named set persisted under a data
// directory, where every change is fsynced in a bbolt file before the
// operation returns) offers peek-lock Receive, Complete, Abandon,
// DeadLetter and RenewLock; DeliveryCount rises on abandon and lock expiry, and a message
// is dead-lettered with MaxDeliveryCountExceeded once its last allowed
// delivery fails. Scheduled messages stay invisible until due (then get a
// new sequence number), a MessageID
// seen within the duplicate detection window is accepted and dropped, and an
// expired message is dead-lettered with TTLExpiredException. The dead-letter
// sub-queue can be listed, read by MessageID, replayed (with a fresh
// MessageID "<old>/replay/<n>") and purged.
//
// # Host
//
// Host loads host.json and */function.json (LoadApp), polls GET / on the
// handler until any HTTP answer, then runs maxConcurrentCalls receivers per
// serviceBusTrigger, each POSTing /{FunctionName} with the host's headers
// and envelope (reference §3–§6, byte for byte: base64 for dataType binary,
// a doubly encoded string otherwise; metadata in the extension's order and
// encodings). A 2xx reply labelled application/json completes the message;
// anything else (non-2xx, no JSON content type, invalid body, a Logs entry
// that is not text, connection error, functionTimeout) abandons it; an
// empty or null reply waits for functionTimeout, and a timeout restarts
// the handler, failing every invocation in flight. HTTP triggers are served
// on /<routePrefix>/<route>, with their authLevel enforced (DevFunctionKey),
// by sending the request as Data.req and answering from the http output
// binding. docs/dev.md has a table of each behaviour and its test.
//
// # Ops API
//
// Host.Handler (or NewAdminHandler alone) serves the ops API under /_dev/:
//
//	GET    /_dev/queues                                      queues with counts
//	GET    /_dev/queues/{queue}                              counts (active, locked, scheduled, deadLetter)
//	POST   /_dev/queues/{queue}/messages                     send; 201 {messageId, sequenceNumber, duplicate, scheduled}
//	GET    /_dev/queues/{queue}/messages                     peek the main queue
//	GET    /_dev/queues/{queue}/deadletter                   list dead letters
//	DELETE /_dev/queues/{queue}/deadletter                   purge: {purged}
//	GET    /_dev/queues/{queue}/deadletter/{messageId}       one dead letter
//	POST   /_dev/queues/{queue}/deadletter/{messageId}/replay resubmit with a fresh MessageId
//	POST   /_dev/queues/{queue}/messages/head?timeout=s      peek-lock receive (201, or 204 for none)
//	DELETE /_dev/queues/{queue}/messages/{seq}/{lockToken}   complete
//	PUT    /_dev/queues/{queue}/messages/{seq}/{lockToken}   abandon
//	POST   /_dev/queues/{queue}/messages/{seq}/{lockToken}/deadletter
//	GET    /_dev/functions                                   loaded functions (Host.Handler only)
//
// Client wraps these routes for the `onboard send` and `onboard dlq`
// commands (--dev-url, default DefaultDevURL). See README.md for the send
// headers and examples.
package devhost
