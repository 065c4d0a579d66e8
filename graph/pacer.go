package graph

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	khttp "github.com/microsoft/kiota-http-go"

	"github.com/b2b-onboarding/onboard/internal/httpx"
)

// GraphInviteWindow is the window of Graph's invitation throttle: 150
// POST /invitations per 5 s per tenant (reference graph-b2b.md).
const GraphInviteWindow = 5 * time.Second

// DefaultInviteLimit is the invitations one instance sends per
// GraphInviteWindow unless Options.InviteLimit says otherwise: below the
// tenant's 150, leaving room for clock skew between us and Graph.
const DefaultInviteLimit = 145

// invitePacer paces POST /invitations for every invocation of an
// instance: a sliding-window limiter (at most limit invitations in any
// window) and a gate that, once Graph answered one invitation 429, holds
// every invitation until its Retry-After has passed, so the other
// invocations do not each discover the throttle on their own.
//
// Graph counts an invitation when it arrives, which we only know to be
// between sending it and its answer; a slot therefore counts from its
// send time while in flight and from its answer's time after (the later
// bound), so network jitter cannot push two windows' worth into one of
// Graph's.
type invitePacer struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	slots []*inviteSlot
	gate  time.Time // no invitation leaves before this
}

// inviteSlot is one invitation's place under the limit.
type inviteSlot struct {
	at       time.Time // send time; the answer's time once done
	inFlight bool
}

func newInvitePacer(limit int, window time.Duration) *invitePacer {
	if limit <= 0 {
		return nil
	}
	return &invitePacer{limit: limit, window: window, now: time.Now}
}

// reserve hands out the next send slot and returns how long to wait for
// it. When that wait would exceed maxWait no slot is taken (nil): the
// caller gives up and reschedules after wait.
func (p *invitePacer) reserve(maxWait time.Duration) (_ *inviteSlot, wait time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	kept := p.slots[:0]
	times := make([]time.Time, 0, len(p.slots))
	for _, s := range p.slots {
		t := s.at
		if s.inFlight && now.After(t) {
			t = now // not answered yet: it may arrive at Graph any moment now
		}
		if !s.inFlight && !t.Add(p.window).After(now) {
			continue // out of every window from now on
		}
		kept = append(kept, s)
		times = append(times, t)
	}
	clear(p.slots[len(kept):])
	p.slots = kept
	at := now
	if p.gate.After(at) {
		at = p.gate
	}
	if n := len(times); n >= p.limit {
		slices.SortFunc(times, time.Time.Compare)
		if free := times[n-p.limit].Add(p.window); free.After(at) {
			at = free
		}
	}
	if wait = at.Sub(now); wait > maxWait {
		return nil, wait
	}
	s := &inviteSlot{at: at, inFlight: true}
	p.slots = append(p.slots, s)
	return s, wait
}

// done records that the invitation of s was answered (or never sent).
func (p *invitePacer) done(s *inviteSlot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); now.After(s.at) {
		s.at = now
	}
	s.inFlight = false
}

// gated returns how long the gate still holds invitations.
func (p *invitePacer) gated() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gate.Sub(p.now())
}

// throttled closes the gate for retryAfter (Graph's Retry-After of a 429).
func (p *invitePacer) throttled(retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(retryAfter); until.After(p.gate) {
		p.gate = until
	}
}

// wait blocks until this invocation may send an invitation: a slot under
// the limit, and the gate open when the slot comes. The caller calls done
// on the slot once the invitation is answered. With no slot, refused is
// the wait beyond maxWait that was declined, or err is ctx's error.
func (p *invitePacer) wait(ctx context.Context, maxWait time.Duration) (s *inviteSlot, refused time.Duration, err error) {
	for {
		s, d := p.reserve(maxWait)
		if s == nil {
			return nil, d, nil
		}
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				p.done(s)
				return nil, 0, ctx.Err()
			case <-t.C:
			}
		}
		if p.gated() <= 0 {
			return s, 0, nil
		}
		p.done(s) // a 429 seen while this one waited closes the gate for it too
	}
}

// throttleObserver is the pipeline stage (inside the SDK retry handler, so
// it sees every attempt) that closes the pacer's gate when Graph answers a
// POST /invitations with 429.
type throttleObserver struct{ pacer *invitePacer }

// Intercept implements khttp.Middleware.
func (o throttleObserver) Intercept(pl khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	resp, err := pl.Next(req, i)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && req.Method == http.MethodPost &&
		strings.HasSuffix(req.URL.Path, "/invitations") {
		o.pacer.throttled(httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	}
	return resp, err
}
