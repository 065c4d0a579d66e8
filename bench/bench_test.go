package main

import "testing"

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
