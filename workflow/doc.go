// Package workflow is the onboarding domain: the partner-approved spec and
// its validation, the policy, the onboarding record, and the level-based
// reconcile that invites a guest, provisions it and follows up with
// reminders. It talks to the outside world only through the small ports in
// ports.go (Directory, Store, Scheduler, Clock) and imports no Azure or
// Graph SDK; the adapters in graph/, store/ and servicebus/ implement them.
package workflow
