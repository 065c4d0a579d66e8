// Command bench measures the acceptance figures of issue 13 in one run and
// prints each with its goal and a baseline measured in the same run:
//
//	go run ./bench            # everything (~2 min)
//	go run ./bench -quick     # a smoke run: few onboardings, no unpaced baseline
//
// Graph is graphsim in this process (its CPU is not the app's); the
// 1,000-onboarding run and start-up drive a real `onboard serve` child
// process through the Functions host's HTTP envelope.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/handlers"
	"github.com/b2b-onboarding/onboard/internal/azurite"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

var (
	quick = flag.Bool("quick", false, "smoke run: 60 onboardings through serve, fewer samples, no unpaced baseline")
	n     = flag.Int("n", 1000, "onboardings through serve")
	only  = flag.String("only", "", "comma-separated parts to run (roundtrips, provisioned, overhead, startup, throughput); all when empty")
	prof  = flag.String("overhead-profile", "", "write CPU and allocation profiles of the handler-overhead part to <prefix>.cpu and <prefix>.mem")
)

// part says whether the named part of the harness runs (-only).
func part(name string) bool {
	return *only == "" || slices.Contains(strings.Split(*only, ","), name)
}

func main() {
	flag.Parse()
	if *quick {
		*n = 60
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "onboard-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var bins map[string]string
	if part("startup") || part("throughput") {
		if bins, err = buildBinaries(dir); err != nil {
			return err
		}
	}
	fmt.Printf("issue 13 benchmark — %s, %d CPUs, %s\n\n", runtime.Version(), runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("%-52s %14s %14s %12s %s\n", "figure", "measured", "baseline", "ratio", "goal")

	if part("roundtrips") {
		if err := roundTrips(); err != nil {
			return err
		}
	}
	if part("provisioned") {
		if err := timeToProvisioned(); err != nil {
			return err
		}
	}
	if part("overhead") {
		if err := handlerOverhead(); err != nil {
			return err
		}
	}
	if part("startup") {
		if err := startup(bins); err != nil {
			return err
		}
	}
	if part("throughput") {
		if err := throughput(bins); err != nil {
			return err
		}
	}
	if len(unmet) > 0 {
		fmt.Printf("\n%d figure(s) not met: %s\n", len(unmet), strings.Join(unmet, "; "))
	}
	return nil
}

// unmet lists the figures that missed their goal.
var unmet []string

// row prints one figure; ratio is measured/baseline when baseline > 0.
func row(name string, measured, baseline float64, unit, goal string, ok bool) {
	ratio := "-"
	if baseline > 0 {
		ratio = fmt.Sprintf("%.2fx", measured/baseline)
	}
	b := "-"
	if baseline > 0 {
		b = fmt.Sprintf("%.2f %s", baseline, unit)
	}
	verdict := "MET"
	if !ok {
		verdict = "NOT MET"
		unmet = append(unmet, name)
	}
	fmt.Printf("%-52s %14s %14s %12s %s [%s]\n", name, fmt.Sprintf("%.2f %s", measured, unit), b, ratio, goal, verdict)
}

// ---------------------------------------------------------------- in-process engine

// rig is the workflow as serve wires it (graph adapter over graphsim,
// handlers.New over the engine), with the store instrumented.
type rig struct {
	sim     *graphsim.Server
	gs      *httptest.Server
	store   *store.Instrumented
	handler http.Handler
	graphT  *timingTransport
}

func newRig(k graphsim.Knobs, storeDelay time.Duration) (*rig, error) {
	return newRigStore(k, store.NewMemory(), storeDelay)
}

func newRigStore(k graphsim.Knobs, base workflow.Store, storeDelay time.Duration) (*rig, error) {
	sim, err := graphsim.New(graphsim.Config{Knobs: &k})
	if err != nil {
		return nil, err
	}
	r := &rig{sim: sim, gs: httptest.NewServer(sim), graphT: &timingTransport{next: http.DefaultTransport}}
	dir, err := graph.New(context.Background(), graph.Options{BaseURL: r.gs.URL + "/v1.0", Logger: slog.New(slog.DiscardHandler),
		HTTPClient: &http.Client{Transport: r.graphT}})
	if err != nil {
		return nil, err
	}
	r.store = &store.Instrumented{Store: base, Delay: storeDelay}
	eng := &workflow.Engine{Directory: dir, Store: r.store, Scheduler: nopScheduler{}, Clock: workflow.SystemClock{},
		Policy: workflow.Policy{AllowedGroups: []string{"*"}, AllowedRoles: []string{"*"}, AllowedApps: []string{"*/*"}, AllowedSources: []string{source}},
		Config: workflow.Config{ReminderSchedule: []time.Duration{72 * time.Hour}, ExpireAfter: 336 * time.Hour, RetryInitial: 30 * time.Second,
			RetryMax: time.Hour, RetryMaxElapsed: 24 * time.Hour, DefaultRedirectURL: "https://myapps.microsoft.com"},
		Log: slog.New(slog.DiscardHandler)}
	r.handler = handlers.New(handlers.Options{Processor: eng, Status: eng, Logger: slog.New(slog.DiscardHandler)})
	return r, nil
}

func (r *rig) close() { r.gs.Close() }

// deliver runs one envelope through the handler and says how it went.
func (r *rig) deliver(env []byte) error {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/"+handlers.DefaultEventsFunction, strings.NewReader(string(env)))
	req.Header.Set("Content-Type", "application/json")
	r.handler.ServeHTTP(rec, req)
	if rec.Code != 200 {
		return fmt.Errorf("handler answered %d: %s", rec.Code, rec.Body.String())
	}
	return nil
}

type nopScheduler struct{}

func (nopScheduler) Schedule(context.Context, workflow.Message, time.Time) error { return nil }

// timingTransport measures the time during which at least one Graph
// request was in flight: concurrent requests (the address lookup, parallel
// batches) count once, as the wall time they take.
type timingTransport struct {
	next     http.RoundTripper
	mu       sync.Mutex
	inFlight int
	since    time.Time // when inFlight went from 0 to 1
	spent    time.Duration
	waves    int // times inFlight went from 0 to 1: Graph round trips one after another
}

func (t *timingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	if t.inFlight == 0 {
		t.since = time.Now()
		t.waves++
	}
	t.inFlight++
	t.mu.Unlock()
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		_, _ = resp.Body.Read(nil)
	}
	t.mu.Lock()
	if t.inFlight--; t.inFlight == 0 {
		t.spent += time.Since(t.since)
	}
	t.mu.Unlock()
	return resp, err
}

// take returns the time spent in Graph and the number of sequential
// round trips since the last take.
func (t *timingTransport) take() (time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, w := t.spent, t.waves
	t.spent, t.waves = 0, 0
	return d, w
}

// ---------------------------------------------------------------- figures

func roundTrips() error {
	shapes := []struct {
		name            string
		groups, roles   int
		apps, withProps bool
	}{
		{"0 groups, 0 roles, 0 apps", 0, 0, false, false},
		{"2 groups, 1 role, 2 apps + properties", 2, 1, true, true},
	}
	for _, sh := range shapes {
		r, err := newRig(graphsim.Knobs{}, 0)
		if err != nil {
			return err
		}
		data := eventData(0, sh.groups, sh.roles, sh.apps, sh.withProps)
		r.store.Reset()
		before := graphCalls(r.sim)
		if err := r.deliver(envelope(data, "m-0", 1)); err != nil {
			return err
		}
		c := r.store.Counts()
		calls := graphCalls(r.sim) - before
		row("store round trips, new onboarding ("+sh.name+")", float64(c.Total()), 3, "", "≤ 3", c.Total() <= 3)
		row("  Graph requests incl. $batch items", float64(calls), 0, "", "(informational)", true)
		r.store.Reset()
		if err := r.deliver(envelope(data, "m-1", 1)); err != nil {
			return err
		}
		c = r.store.Counts()
		row("store round trips, duplicate delivery", float64(c.Total()), 1, "", "≤ 1", c.Total() <= 1)
		r.close()
	}
	return nil
}

// timeToProvisioned: one delivery at a time, Graph 50 ms per request,
// the store 5 ms per call (the memory store, and Table Storage on Azurite
// when it can be started); baseline is the goal's formula 2×50 + 3×5 ms.
func timeToProvisioned() error {
	samples := 40
	if *quick {
		samples = 10
	}
	stores := []struct {
		name string
		open func() (workflow.Store, func(), error)
	}{
		{"memory store", func() (workflow.Store, func(), error) { return store.NewMemory(), func() {}, nil }},
		{"Azurite tables", openAzurite},
	}
	for _, st := range stores {
		base, done, err := st.open()
		if err != nil {
			fmt.Printf("%-52s skipped: %v\n", "time to provisioned, "+st.name, err)
			continue
		}
		r, err := newRigStore(graphsim.Knobs{Latency: 50 * time.Millisecond}, base, 5*time.Millisecond)
		if err != nil {
			done()
			return err
		}
		var ds []time.Duration
		var waves []int
		for i := 0; i < samples; i++ {
			env := envelope(eventData(i, 2, 1, true, true), fmt.Sprint("ttp-", i), 1)
			r.graphT.take()
			start := time.Now()
			if err := r.deliver(env); err != nil {
				r.close()
				done()
				return err
			}
			ds = append(ds, time.Since(start))
			_, w := r.graphT.take()
			waves = append(waves, w)
		}
		r.close()
		done()
		base2 := float64(2*50 + 3*5)
		p50, p95 := ms(pct(ds, 50)), ms(pct(ds, 95))
		row("time to provisioned p50, "+st.name+" +5 ms/call", p50, base2, "ms", "≤ 1.3x (2×50+3×5 ms)", p50 <= 1.3*base2)
		row("time to provisioned p95, "+st.name+" +5 ms/call", p95, base2, "ms", "(informational)", true)
		// The floor of the safe path: Graph round trips that must follow
		// one another (look the address up, invite, read the user the
		// invitation answered with, $batch; graph-b2b.md §15) × 50 ms +
		// the 3 store calls × 5 ms.
		slices.Sort(waves)
		seq := waves[len(waves)/2]
		floor := float64(seq*50 + 3*5)
		row("  sequential Graph round trips (median)", float64(seq), 2, "", "(informational; goal formula assumes 2)", true)
		row("  p50 over the floor "+fmt.Sprint(seq)+"×50+3×5 ms", p50, floor, "ms", "(informational)", true)
	}
	return nil
}

// openAzurite starts Azurite (scripts/install-azurite.sh puts it in
// .tools) and opens a Table Storage store on it.
func openAzurite() (workflow.Store, func(), error) {
	ctx := context.Background()
	srv, err := azurite.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, err := store.NewTables(ctx, store.TablesConfig{ConnectionString: srv.ConnectionString(), Table: "bench"})
	if err != nil {
		srv.Stop()
		return nil, nil, err
	}
	return t, func() { srv.Stop() }, nil
}

// handlerOverhead: invocation time minus time inside Graph requests, with
// a zero-latency graphsim and the memory store, one at a time.
func handlerOverhead() error {
	samples := 400
	if *quick {
		samples = 50
	}
	r, err := newRig(graphsim.Knobs{}, 0)
	if err != nil {
		return err
	}
	defer r.close()
	var ds []time.Duration
	var ms0, ms1 runtime.MemStats
	if *prof != "" {
		stop, err := profile(*prof)
		if err != nil {
			return err
		}
		defer stop()
	}
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for i := 0; i < samples; i++ {
		env := envelope(eventData(i, 2, 1, true, true), fmt.Sprint("ho-", i), 1)
		r.graphT.take()
		start := time.Now()
		if err := r.deliver(env); err != nil {
			return err
		}
		inGraph, _ := r.graphT.take()
		ds = append(ds, time.Since(start)-inGraph)
	}
	runtime.ReadMemStats(&ms1)
	p50, p99 := ms(pct(ds, 50)), ms(pct(ds, 99))
	row("handler overhead p50, Graph excluded", p50, 0, "ms", "< 0.7 ms", p50 < 0.7)
	row("handler overhead p99, Graph excluded", p99, 0, "ms", "(informational)", true)
	row("allocations per onboarding (app + in-process graphsim)", float64(ms1.Mallocs-ms0.Mallocs)/float64(samples), 0, "", "(informational)", true)
	row("allocated KiB per onboarding (app + graphsim)", float64(ms1.TotalAlloc-ms0.TotalAlloc)/1024/float64(samples), 0, "KiB", "(informational)", true)
	return nil
}

// profile starts a CPU profile at prefix.cpu and returns the function that
// stops it and writes the allocation profile to prefix.mem.
func profile(prefix string) (func(), error) {
	cpu, err := os.Create(prefix + ".cpu")
	if err != nil {
		return nil, err
	}
	runtime.MemProfileRate = 512
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		if f, err := os.Create(prefix + ".mem"); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(i, len(s))-1)]
}

// graphCalls is every request graphsim counted ($batch items included).
func graphCalls(sim *graphsim.Server) int {
	total := 0
	for k, v := range sim.RequestCounts() {
		if !strings.HasSuffix(k, ")") {
			total += v
		}
	}
	return total
}

// throttled is every request graphsim answered 429.
func throttled(sim *graphsim.Server) int {
	total := 0
	for k, v := range sim.RequestCounts() {
		if strings.HasSuffix(k, "(throttled)") || strings.HasSuffix(k, "(429)") {
			total += v
		}
	}
	return total
}

func buildBinaries(dir string) (map[string]string, error) {
	hello := filepath.Join(dir, "hello")
	if err := os.MkdirAll(hello, 0o755); err != nil {
		return nil, err
	}
	src := `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello")) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil)
}
`
	if err := os.WriteFile(filepath.Join(hello, "main.go"), []byte(src), 0o644); err != nil {
		return nil, err
	}
	bins := map[string]string{"onboard": filepath.Join(dir, "onboard-bin"), "hello": filepath.Join(dir, "hello-bin"),
		"sdkfloor": filepath.Join(dir, "sdkfloor-bin")}
	if err := goBuild("", bins["onboard"], "./cmd/onboard"); err != nil {
		return nil, err
	}
	if err := goBuild("", bins["sdkfloor"], "./bench/sdkfloor"); err != nil {
		return nil, err
	}
	if err := goBuild(hello, bins["hello"], "main.go"); err != nil {
		return nil, err
	}
	return bins, nil
}
