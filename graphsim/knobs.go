package graphsim

import (
	"encoding/json"
	"fmt"
	"time"
)

// Knobs are the realism settings. They can be changed at any time
// (SetKnobs, PUT/PATCH /_sim/knobs); the zero value means "a perfect,
// instant Graph without throttling".
type Knobs struct {
	// Latency is added to every /v1.0 request, plus a uniform random
	// amount in [0, Jitter).
	Latency time.Duration
	Jitter  time.Duration
	// FailureRate is the probability (0..1) that a request, or a $batch
	// item, answers 503 serviceNotAvailable without doing anything.
	FailureRate float64
	// DropRate is the probability that the connection is closed before the
	// request is processed (the client sees a transport error).
	DropRate float64
	// DropAfterRate is the probability that the request IS processed but the
	// connection is closed before the answer (a lost response).
	DropAfterRate float64
	// InviteLimit requests to /invitations per InviteWindow per tenant are
	// admitted, more answer 429 TooManyRequests with Retry-After (Graph:
	// 150 per 5 s). 0 disables the throttle.
	InviteLimit  int
	InviteWindow time.Duration
	// ReplicationLag: for this long after an invitation created a user,
	// writes that reference the user (PATCH/DELETE /users/{id}, manager,
	// group members, role and app role assignments, as principal or as
	// manager) answer 404 Request_ResourceNotFound, as Graph's replicas do
	// (reference §14). What reads see meanwhile is LagReads.
	ReplicationLag time.Duration
	// LagReads is what reads of a lagging user (GET /users/{id} and its
	// manager, memberOf and appRoleAssignments, GET /users listings and
	// $filter) see: LagReadsVisible (the default, ""), LagReadsHidden or
	// LagReadsMixed. A read and a write may reach different replicas, so
	// "the read sees it" proves nothing about the write.
	LagReads string
	// LagListings also hides lagging users from GET /users listings and
	// filters whatever LagReads says (Graph documents that list results
	// may lag).
	LagListings bool
	// ShuffleBatch answers $batch items in random order.
	ShuffleBatch bool
	// RetryAfter is the Retry-After (seconds) sent with injected 503s; 0
	// tells the client to retry at once.
	RetryAfter int
	// RequireAuth answers 401 InvalidAuthenticationToken to /v1.0 requests
	// without an "Authorization: Bearer …" header.
	RequireAuth bool
	// Deny lists routes, as counted by RequestCount (e.g. "POST
	// /servicePrincipals/{id}/appRoleAssignedTo"), answered 403
	// Authorization_RequestDenied: the app lacks the permission for them.
	Deny []string
}

// The values of Knobs.LagReads.
const (
	// LagReadsVisible: reads already see a lagging user (the default; the
	// harsher case for a client that trusts a read).
	LagReadsVisible = "visible"
	// LagReadsHidden: reads 404 (GET) or omit it (listings) like writes.
	LagReadsHidden = "hidden"
	// LagReadsMixed: each read sees it or not at random, as when reads
	// reach different replicas.
	LagReadsMixed = "mixed"
)

// DefaultKnobs is Graph's invitation throttle and nothing else.
func DefaultKnobs() Knobs {
	return Knobs{InviteLimit: 150, InviteWindow: 5 * time.Second}
}

// knobsJSON is the wire form: durations as Go duration strings ("250ms").
type knobsJSON struct {
	Latency        *string  `json:"latency,omitempty"`
	Jitter         *string  `json:"jitter,omitempty"`
	FailureRate    *float64 `json:"failureRate,omitempty"`
	DropRate       *float64 `json:"dropRate,omitempty"`
	DropAfterRate  *float64 `json:"dropAfterRate,omitempty"`
	InviteLimit    *int     `json:"inviteLimit,omitempty"`
	InviteWindow   *string  `json:"inviteWindow,omitempty"`
	ReplicationLag *string  `json:"replicationLag,omitempty"`
	LagReads       *string  `json:"lagReads,omitempty"`
	LagListings    *bool    `json:"lagListings,omitempty"`
	ShuffleBatch   *bool    `json:"shuffleBatch,omitempty"`
	RetryAfter     *int     `json:"retryAfter,omitempty"`
	RequireAuth    *bool    `json:"requireAuth,omitempty"`
	Deny           []string `json:"deny,omitempty"`
}

// MarshalJSON writes durations as strings such as "250ms".
func (k Knobs) MarshalJSON() ([]byte, error) {
	d := func(v time.Duration) *string { s := v.String(); return &s }
	return json.Marshal(knobsJSON{
		Latency: d(k.Latency), Jitter: d(k.Jitter), FailureRate: &k.FailureRate, DropRate: &k.DropRate,
		DropAfterRate: &k.DropAfterRate, InviteLimit: &k.InviteLimit, InviteWindow: d(k.InviteWindow),
		ReplicationLag: d(k.ReplicationLag), LagReads: &k.LagReads, LagListings: &k.LagListings, ShuffleBatch: &k.ShuffleBatch,
		RetryAfter: &k.RetryAfter, RequireAuth: &k.RequireAuth, Deny: k.Deny,
	})
}

// UnmarshalJSON sets only the fields present, so it doubles as a merge
// (PATCH /_sim/knobs).
func (k *Knobs) UnmarshalJSON(b []byte) error {
	var j knobsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("knobs: %w", err)
	}
	dur := func(name string, s *string, dst *time.Duration) error {
		if s == nil {
			return nil
		}
		v, err := time.ParseDuration(*s)
		if err != nil {
			return fmt.Errorf("knobs: %s: %w", name, err)
		}
		*dst = v
		return nil
	}
	for _, f := range []struct {
		n string
		s *string
		d *time.Duration
	}{{"latency", j.Latency, &k.Latency}, {"jitter", j.Jitter, &k.Jitter}, {"inviteWindow", j.InviteWindow, &k.InviteWindow}, {"replicationLag", j.ReplicationLag, &k.ReplicationLag}} {
		if err := dur(f.n, f.s, f.d); err != nil {
			return err
		}
	}
	setF := func(src *float64, dst *float64) {
		if src != nil {
			*dst = *src
		}
	}
	setF(j.FailureRate, &k.FailureRate)
	setF(j.DropRate, &k.DropRate)
	setF(j.DropAfterRate, &k.DropAfterRate)
	setI := func(src *int, dst *int) {
		if src != nil {
			*dst = *src
		}
	}
	setI(j.InviteLimit, &k.InviteLimit)
	setI(j.RetryAfter, &k.RetryAfter)
	setB := func(src *bool, dst *bool) {
		if src != nil {
			*dst = *src
		}
	}
	if j.LagReads != nil {
		k.LagReads = *j.LagReads
	}
	setB(j.LagListings, &k.LagListings)
	setB(j.ShuffleBatch, &k.ShuffleBatch)
	setB(j.RequireAuth, &k.RequireAuth)
	if j.Deny != nil {
		k.Deny = j.Deny
	}
	return nil
}

// Validate says which knob is out of range.
func (k Knobs) Validate() error {
	for _, r := range []struct {
		n string
		v float64
	}{{"failureRate", k.FailureRate}, {"dropRate", k.DropRate}, {"dropAfterRate", k.DropAfterRate}} {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("knobs: %s must be between 0 and 1, got %v", r.n, r.v)
		}
	}
	for _, r := range []struct {
		n string
		v time.Duration
	}{{"latency", k.Latency}, {"jitter", k.Jitter}, {"replicationLag", k.ReplicationLag}, {"inviteWindow", k.InviteWindow}} {
		if r.v < 0 {
			return fmt.Errorf("knobs: %s must not be negative, got %v", r.n, r.v)
		}
	}
	if k.InviteLimit < 0 {
		return fmt.Errorf("knobs: inviteLimit must not be negative, got %d", k.InviteLimit)
	}
	if k.InviteLimit > 0 && k.InviteWindow <= 0 {
		return fmt.Errorf("knobs: inviteWindow must be positive when inviteLimit is set")
	}
	switch k.LagReads {
	case "", LagReadsVisible, LagReadsHidden, LagReadsMixed:
	default:
		return fmt.Errorf("knobs: lagReads must be %s, %s or %s, got %q", LagReadsVisible, LagReadsHidden, LagReadsMixed, k.LagReads)
	}
	if k.RetryAfter < 0 {
		return fmt.Errorf("knobs: retryAfter must not be negative, got %d", k.RetryAfter)
	}
	return nil
}
