package main

import (
	"fmt"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// The smoke part of the harness that runs with the test suite: the store
// round trips of a new onboarding and of a duplicate delivery through the
// handler as serve wires it, against their goals (≤ 3, ≤ 1).
func TestRoundTripsSmoke(t *testing.T) {
	unmet = nil
	if err := roundTrips(); err != nil {
		t.Fatal(err)
	}
	if len(unmet) > 0 {
		t.Fatalf("goals not met: %q", unmet)
	}
}

// BenchmarkHandler runs onboardings (2 groups, 1 role, 2 apps, properties)
// through the handler against an in-process, zero-latency graphsim and the
// memory store: the handler-overhead path, for -cpuprofile/-memprofile
// (the profile includes graphsim).
func BenchmarkHandler(b *testing.B) {
	r, err := newRig(graphsim.Knobs{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := r.deliver(envelope(eventData(i, 2, 1, true, true), fmt.Sprint("bh-", i), 1)); err != nil {
			b.Fatal(err)
		}
	}
}
