package graph

import (
	"testing"
	"time"
)

// The pacer hands out at most limit slots in any window, holds every slot
// behind a 429's gate, and refuses (without taking a slot) a wait beyond
// the bound.
func TestInvitePacerReserve(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at       time.Duration // clock offset from t0
		throttle time.Duration // >0: a 429 with this Retry-After at `at`
		maxWait  time.Duration
		wantWait time.Duration
		wantOK   bool
	}
	cases := []struct {
		name  string
		limit int
		steps []step
	}{
		{"under the limit: no wait", 3, []step{
			{0, 0, time.Minute, 0, true}, {0, 0, time.Minute, 0, true}, {time.Second, 0, time.Minute, 0, true}}},
		{"over the limit: the oldest slot's window end", 2, []step{
			{0, 0, time.Minute, 0, true}, {time.Second, 0, time.Minute, 0, true},
			{2 * time.Second, 0, time.Minute, 3 * time.Second, true}, // slot at 5s
			{2 * time.Second, 0, time.Minute, 4 * time.Second, true}, // slot at 6s
			{2 * time.Second, 0, time.Minute, 8 * time.Second, true}, // slot at 10s: window of the 5s slot
		}},
		{"a wait beyond the bound takes no slot", 1, []step{
			{0, 0, time.Minute, 0, true},
			{time.Second, 0, time.Second, 4 * time.Second, false},
			{time.Second, 0, time.Minute, 4 * time.Second, true},
		}},
		{"a 429 holds every slot until its Retry-After", 100, []step{
			{0, 0, time.Minute, 0, true},
			{time.Second, 10 * time.Second, time.Minute, 10 * time.Second, true},
			{2 * time.Second, 0, time.Minute, 9 * time.Second, true},
			{3 * time.Second, 0, 5 * time.Second, 8 * time.Second, false},
			{11 * time.Second, 0, time.Minute, 0, true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			p := newInvitePacer(tc.limit, 5*time.Second)
			p.now = func() time.Time { return now }
			for i, s := range tc.steps {
				now = t0.Add(s.at)
				if s.throttle > 0 {
					p.throttled(s.throttle)
				}
				slot, wait := p.reserve(s.maxWait)
				if ok := slot != nil; wait != s.wantWait || ok != s.wantOK {
					t.Errorf("step %d at %s: reserve = %s, %v; want %s, %v", i, s.at, wait, slot != nil, s.wantWait, s.wantOK)
				}
				if slot != nil && s.wantWait == 0 {
					p.done(slot) // answered at once
				}
			}
		})
	}
}
