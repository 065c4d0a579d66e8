// Package workflow is the onboarding domain: the partner-approved spec and
// its validation, the policy, the onboarding record, and the level-based
// reconcile that invites a guest, provisions it and follows up with
// reminders. It talks to the outside world only through the small ports in
// ports.go (Directory, Store, Scheduler, Clock) and imports no Azure or
// Graph SDK; the adapters in graph/, store/ and servicebus/ implement them.
//
// Engine.Handle runs Dispatch (the reconcile for the event's type) inside a
// chain of middleware, one concern each: FailFast, RecordFailures,
// RecoverPanics, RetryTransient (see Engine.Handler). Failures decide the
// outcome: a *PermanentError, *ValidationError or *PolicyError is recorded
// and makes the host abandon the message until Service Bus dead-letters
// it; anything else is rescheduled with backoff. How this rescheduling
// relates to the retries inside the Graph adapter ($batch items, the SDK's
// retry handler) and to Service Bus redelivery, and which one acts when, is
// explained in docs/retries.md.
package workflow
