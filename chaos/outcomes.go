package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/b2b-onboarding/onboard/devhost"
	"github.com/b2b-onboarding/onboard/workflow"
)

// The outcomes topic and the subscription the harness reads, as dev
// opens them by default.
const (
	outcomesTopic        = "onboarding-outcomes"
	outcomesSubscription = "procurement"
)

// outcome is one outcome event read from the subscription.
type outcome struct {
	MessageID string
	Type      string // without a prefix (dev runs with none)
	Subject   string
	Data      workflow.OutcomeData
}

// outcomesByKey peeks the procurement subscription of the outcomes topic
// and groups its events by onboarding key.
func outcomesByKey(ctx context.Context, client *devhost.Client) (map[string][]outcome, error) {
	var ms []devhost.ReceivedMessage
	q := devhost.SubscriptionQueue(outcomesTopic, outcomesSubscription)
	err := retrying(ctx, func() (err error) { ms, err = client.Peek(ctx, q); return err })
	if err != nil {
		return nil, err
	}
	out := map[string][]outcome{}
	for _, m := range ms {
		var ev struct {
			Type    string               `json:"type"`
			Subject string               `json:"subject"`
			Data    workflow.OutcomeData `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			return nil, fmt.Errorf("outcome %s: %w", m.MessageID, err)
		}
		key := strings.ToLower(ev.Data.Key)
		out[key] = append(out[key], outcome{MessageID: m.MessageID, Type: ev.Type, Subject: ev.Subject, Data: ev.Data})
	}
	return out, nil
}

// identity names the transition an outcome reports, so two events with
// the same identity are one transition reported twice (a duplicate):
// invited, accepted and expired happen once per cycle, a reminder once per
// number, provisioning once per set of applied changes in a cycle, a
// failure once per request and reason.
func (o outcome) identity() string {
	d := o.Data
	switch o.Type {
	case workflow.OutcomeReminded:
		return fmt.Sprintf("%s c%d #%d", o.Type, d.Cycle, d.RemindersSent)
	case workflow.OutcomeProvisioned:
		applied := slices.Clone(d.Applied)
		slices.Sort(applied)
		return fmt.Sprintf("%s c%d %s", o.Type, d.Cycle, strings.Join(applied, ","))
	case workflow.OutcomeFailed:
		return fmt.Sprintf("%s %s %s", o.Type, o.Subject, d.Reason)
	}
	return fmt.Sprintf("%s c%d", o.Type, d.Cycle)
}

// judgeOutcomes checks each acknowledged onboarding's outcome events
// against where it ended: every transition its record shows has its event
// (missing otherwise: lost, or still in the outbox), and no transition has
// two (duplicates). Onboardings still in flight are left out: their story
// is not over. Nil obs.Outcomes means they were not read (Run always
// reads them; an empty subscription is an empty map).
func judgeOutcomes(p *plan, obs observation, c *counts, finding func(string, ...any)) {
	if obs.Outcomes == nil {
		return
	}
	for _, evs := range obs.Outcomes {
		c.Outcomes += len(evs)
	}
	for _, o := range p.Onboardings {
		if !o.acked() || len(obs.Queued[o.Addr]) > 0 {
			continue
		}
		evs := obs.Outcomes[o.Addr]
		seen := map[string]int{}
		for _, ev := range evs {
			id := ev.identity()
			if seen[id]++; seen[id] == 2 {
				c.OutcomeDuplicates++
				finding("duplicate outcome %s: %s (%s)", o.Addr, id, ev.MessageID)
			}
		}
		has := func(typ string, match func(outcome) bool) bool {
			return slices.ContainsFunc(evs, func(ev outcome) bool { return ev.Type == typ && match(ev) })
		}
		var want []string
		rec := obs.Records[o.Addr]
		switch {
		case o.Poison:
			if !has(workflow.OutcomeFailed, func(outcome) bool { return true }) {
				want = append(want, workflow.OutcomeFailed)
			}
		case rec != nil:
			cycle := func(ev outcome) bool { return ev.Data.Cycle == rec.Cycle }
			if !rec.Invite.SentAt.IsZero() && !has(workflow.OutcomeInvited, cycle) {
				want = append(want, workflow.OutcomeInvited)
			}
			for n := 1; n <= rec.Reminders.Sent; n++ {
				if !has(workflow.OutcomeReminded, func(ev outcome) bool { return cycle(ev) && ev.Data.RemindersSent == n }) {
					want = append(want, fmt.Sprintf("%s #%d", workflow.OutcomeReminded, n))
				}
			}
			if (rec.Phase == workflow.PhaseProvisioned || rec.Phase == workflow.PhaseCompleted) && !has(workflow.OutcomeProvisioned, cycle) {
				want = append(want, workflow.OutcomeProvisioned)
			}
			if rec.Invite.Status == workflow.StateAccepted && !has(workflow.OutcomeAccepted, cycle) {
				want = append(want, workflow.OutcomeAccepted)
			}
			if rec.Phase == workflow.PhaseExpired && !has(workflow.OutcomeExpired, cycle) {
				want = append(want, workflow.OutcomeExpired)
			}
			if rec.Phase == workflow.PhaseFailed && !has(workflow.OutcomeFailed, func(outcome) bool { return true }) {
				want = append(want, workflow.OutcomeFailed)
			}
			if n := len(rec.Outbox); n > 0 {
				finding("unpublished outcomes %s: %d still in the outbox", o.Addr, n)
			}
		}
		if len(want) > 0 {
			c.OutcomeMissing += len(want)
			finding("missing outcomes %s: %s (phase %s, has %s)", o.Addr, strings.Join(want, ", "), phaseOf(rec), typesOf(evs))
		}
	}
}

func phaseOf(rec *workflow.Record) workflow.Phase {
	if rec == nil {
		return "none"
	}
	return rec.Phase
}

func typesOf(evs []outcome) string {
	var ts []string
	for _, ev := range evs {
		ts = append(ts, ev.Type)
	}
	if len(ts) == 0 {
		return "none"
	}
	return strings.Join(ts, " ")
}
