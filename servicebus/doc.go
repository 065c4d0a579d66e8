// Package servicebus holds the Service Bus adapters of b2b-onboarding:
//
//   - Encode turns a workflow.Message into a structured-mode CloudEvent
//     (application/cloudevents+json), the body of every message we send;
//   - Scheduler implements workflow.Scheduler over an azservicebus Sender
//     (scheduled reminder-due and retry messages with a deterministic
//     MessageId, so Service Bus duplicate detection drops repeats);
//   - ConnConfigFromEnv and NewClient read the Functions-style connection
//     settings (connection string or identity-based) the trigger uses;
//   - MemoryScheduler is the in-process stand-in for SCHEDULER=memory;
//   - DeadLetters lists, shows, replays and purges the dead-letter sub-queue
//     and sends messages, for the `onboard dlq` and `onboard send` commands.
//
// The package imports workflow but workflow does not import it. It does not
// use the CloudEvents SDK's AMQP protocol binding, which cannot be built
// together with azservicebus (see reference/anchors.md §3).
package servicebus
