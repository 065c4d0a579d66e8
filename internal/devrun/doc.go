// Package devrun is the dev runtime behind `onboard dev`: the whole
// onboarding flow in one process, without Azure. It starts the local
// queue (devhost's broker, in memory or under a data directory), the
// Functions host emulator, the custom handler as internal/app wires it,
// the state store and, unless a Graph URL is given, graphsim; each runs
// in an errgroup, so one failing stops the others. See docs/dev.md.
package devrun
