// Package graph implements workflow.Directory over Microsoft Graph v1.0 with
// msgraph-sdk-go: invitations, user look-ups, and the provisioning changes
// (properties, manager, group memberships, directory role and app role
// assignments) sent as JSON batches ($batch, at most 20 requests each, several
// batches in flight, throttled items re-sent after their Retry-After).
//
// Every failure is classified with the workflow error types: a 404 is a
// *workflow.NotFoundError (often replication lag right after an invitation),
// 429/5xx/time-outs/transport failures are *workflow.TransientError carrying
// Graph's Retry-After, and every other 4xx is a *workflow.PermanentError whose
// reason quotes Graph's error code and message. "Already exists" answers to
// the idempotent writes count as success.
//
// The HTTP pipeline is built here in a fixed order (see middleware.go) with
// request compression off; New documents the authentication choices.
package graph
