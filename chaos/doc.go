// Package chaos is the chaos test of issue 9: it runs `onboard graphsim`
// and `onboard dev` as processes, the first with faults (503s, connections
// dropped before and after the write), replication lag and the invitation
// throttle, the second killed with SIGKILL every few seconds and restarted
// on the same data directory, while partner-approved events (duplicates,
// merges, poisoned ones) go in through the dev runtime's ops API and guests
// accept at random through graphsim's admin API. Once the system is quiet
// it counts, from graphsim's state, the status function, the queue and
// `onboard dlq list --json`, what must never happen: duplicate guests,
// unscheduled emails, lost onboardings, incomplete provisioning, poisoned
// events that created a guest, and panics.
//
// TestChaosShort (no build tag) is the small run inside `go test ./...`;
// TestChaosFull (build tag chaos, see scripts/chaos.sh) is the full run,
// sized by CHAOS_* environment variables (see Config and the README).
package chaos
