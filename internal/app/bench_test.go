package app

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkServeOnboarding measures how fast the handler, as serve wires
// it, onboards partners end to end (envelope decoding, reconcile, invite,
// one $batch of 6 changes, reminder scheduling) against graphsim with the
// invitation throttle off, 8 deliveries at a time like a host with
// maxConcurrentCalls=8. It reports onboardings/s and the ratio to Graph's
// invitation limit (150 per 5 s per tenant = 30/s): above 1 means Graph,
// not this app, is the bottleneck.
func BenchmarkServeOnboarding(b *testing.B) {
	b.ReportAllocs()
	h := newHarness(b)
	k := h.sim.Knobs()
	k.InviteLimit = 0
	h.sim.SetKnobs(k)
	data := func(i int) string {
		return strings.Replace(adaData, "Ada.Lovelace+partners@fabrikam.com", fmt.Sprintf("partner%d@contoso.com", i), 1)
	}
	envs := make([][]byte, b.N)
	for i := range envs {
		envs[i] = envelope(b, cloudEvent("partner-approved", fmt.Sprint("ev-", i), data(i)), true, fmt.Sprint("msg-", i), 1, structuredCT, nil)
	}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				if code, _ := h.post(b, envs[i]); code != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d deliveries failed", failed.Load())
	}
	if got := len(h.sim.State().Users); got < b.N {
		b.Fatalf("%d users for %d onboardings", got, b.N)
	}
	perSec := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(perSec, "onboardings/s")
	b.ReportMetric(perSec/30, "x-graph-invite-limit")
}
