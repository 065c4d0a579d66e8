// Package graphsim is a stateful Microsoft Graph v1.0 tenant simulator for
// the subset of Graph that B2B guest onboarding uses: invitations, users,
// groups and memberships, directory role assignments, app role assignments
// and JSON batching.
//
// It exists because nothing in this project can reach a real Entra tenant
// and Microsoft offers no stateful emulator. The real msgraph-sdk-go client
// can talk to it: paths, bodies, status codes and the OData error shape
// follow Graph's documentation (see docs/graphsim.md for what is simulated
// and which choices were made where Graph is undocumented).
//
// A Server is an http.Handler serving Graph under /v1.0 and test/admin
// endpoints under /_sim/. The same admin operations are Go methods
// (Accept, State, EmailsSent, SetKnobs, RequestCount, Reset) so tests can use
// the simulator in-process through httptest. Realism knobs add latency,
// random faults, the invitation throttle and replication lag.
//
// graphsim deliberately shares no code with the project's Graph adapter or
// workflow: a simulator built on our own model of Graph would agree with
// our bugs.
package graphsim
