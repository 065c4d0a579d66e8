package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graph/graphtest"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// sixtyGroupChanges is a tenant with 60 extra groups and one group change
// for each: three full batches.
func sixtyGroupChanges() (*graphsim.Seed, []workflow.Change) {
	seed, groups := tenantWithGroups(60)
	changes := make([]workflow.Change, len(groups))
	for i, g := range groups {
		changes[i] = workflow.Change{Kind: workflow.ChangeGroup, ID: g}
	}
	return seed, changes
}

// applyModes are the ways of sending the same 60 changes that the benchmark
// and the timing test compare.
var applyModes = []struct {
	name        string
	concurrency int
	oneByOne    bool // one Apply (one request) per change, serially
}{
	{"one request per change", 1, true},
	{"batches serially", 1, false},
	{"batches in parallel", 4, false},
}

func runMode(tb testing.TB, d *graph.Directory, changes []workflow.Change, oneByOne bool) {
	if oneByOne {
		for _, c := range changes {
			if err := d.Apply(ctx, graphsim.SampleUserAlex, []workflow.Change{c})[0]; err != nil {
				tb.Fatal(err)
			}
		}
		return
	}
	for i, err := range d.Apply(ctx, graphsim.SampleUserAlex, changes) {
		if err != nil {
			tb.Fatalf("change %d: %v", i, err)
		}
	}
}

// BenchmarkApply60 applies 60 changes (3 batches) against graphsim with 25ms
// of latency per HTTP request, sent one by one, as serial batches and as
// parallel batches.
func BenchmarkApply60(b *testing.B) {
	seed, changes := sixtyGroupChanges()
	env := graphtest.Start(b, graphsim.Config{Seed: seed, Knobs: &graphsim.Knobs{Latency: 25 * time.Millisecond}}, graph.Options{})
	for _, m := range applyModes {
		d := env.NewDirectory(b, graph.Options{BatchConcurrency: m.concurrency})
		b.Run(m.name, func(b *testing.B) {
			for b.Loop() {
				runMode(b, d, changes, m.oneByOne)
			}
		})
	}
}

// TestParallelBatchesBeatSerial measures serial and parallel batches once
// with 100ms of latency (one request per change is left to the benchmark:
// 60 round trips) and requires parallel batches to be clearly faster than serial
// ones (expected ≈3×: one round trip instead of three).
func TestParallelBatchesBeatSerial(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	seed, changes := sixtyGroupChanges()
	env := graphtest.Start(t, graphsim.Config{Seed: seed, Knobs: &graphsim.Knobs{Latency: 100 * time.Millisecond}}, graph.Options{})
	took := map[string]time.Duration{}
	for _, m := range applyModes {
		if m.oneByOne {
			continue
		}
		d := env.NewDirectory(t, graph.Options{BatchConcurrency: m.concurrency})
		start := time.Now()
		runMode(t, d, changes, m.oneByOne)
		took[m.name] = time.Since(start)
	}
	serial, parallel := took["batches serially"], took["batches in parallel"]
	t.Logf("60 changes, 100ms latency: batches serially %v, batches in parallel %v (parallel/serial %.2f)",
		serial.Round(time.Millisecond), parallel.Round(time.Millisecond), float64(parallel)/float64(serial))
	if parallel > serial*6/10 {
		t.Fatalf("parallel batches took %v, serial %v: batches are not sent concurrently", parallel, serial)
	}
}

// TestBatchConcurrencyIsBounded sends 100 changes (5 batches) with 50ms of
// latency and checks how many $batch requests were in flight at once.
func TestBatchConcurrencyIsBounded(t *testing.T) {
	seed, groups := tenantWithGroups(100)
	changes := make([]workflow.Change, len(groups))
	for i, g := range groups {
		changes[i] = workflow.Change{Kind: workflow.ChangeGroup, ID: g}
	}
	for _, limit := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			env := graphtest.Start(t, graphsim.Config{Seed: seed, Knobs: &graphsim.Knobs{Latency: 50 * time.Millisecond}},
				graph.Options{BatchConcurrency: limit})
			runMode(t, env.Dir, changes, false)
			if got := env.MaxBatchesInFlight(); got != limit {
				t.Fatalf("%d batches in flight at most, want %d", got, limit)
			}
			if n := len(env.Batches()); n != 5 {
				t.Fatalf("%d batches, want 5", n)
			}
		})
	}
}
