// Package localqueue is the one in-memory (or data-directory) queue of
// b2b-onboarding: devhost's queue with Service Bus semantics and its
// Functions host emulator, which `onboard dev` runs and `onboard serve`
// uses for SCHEDULER=memory. It holds what both need: the Scheduler that
// sends to that queue exactly as servicebus.Scheduler sends to Service
// Bus, the queue's properties from infra/queue.json, and the function app
// folder the host emulator loads.
package localqueue
