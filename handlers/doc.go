// Package handlers is the Azure Functions custom-handler side of the
// onboarding app: it speaks the protocol the Functions host uses to invoke a
// custom handler (readiness probe, POST /{FunctionName} with a
// {"Data","Metadata"} envelope, {"Outputs","Logs","ReturnValue"} replies),
// turns Service Bus trigger envelopes into CloudEvents and workflow
// deliveries, maps the workflow's outcome to the HTTP status the host acts
// on (2xx completes the message, anything else abandons it), and answers the
// onboarding-status HTTP function.
//
// The domain is reached only through the small Processor, StatusReader and
// FailureRecorder interfaces, so the protocol side can be tested for real
// against fakes of the domain.
package handlers
