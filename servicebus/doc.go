// Package servicebus holds the Service Bus adapters of b2b-onboarding:
//
//   - Encode turns a workflow.Message into a structured-mode CloudEvent
//     (application/cloudevents+json), the body of every message we send;
//   - Scheduler implements workflow.Scheduler over an azservicebus Sender
//     (scheduled reminder-due and retry messages with a deterministic
//     MessageId, so Service Bus duplicate detection drops repeats);
//   - NewClient opens the namespace with a connection string or the app's
//     credential (config.ParseServiceBus reads the trigger's settings);
//   - DeadLetters lists, shows, replays and purges the dead-letter sub-queue
//     and sends messages, for the `onboard dlq` and `onboard send` commands.
//
// The package imports workflow but workflow does not import it. It does not
// use the CloudEvents SDK's AMQP protocol binding, which cannot be built
// together with azservicebus (see reference/anchors.md §3).
package servicebus
