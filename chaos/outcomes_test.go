package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// outcomesWorld is world() with the outcome events its story produces:
// the valid onboarding invited, provisioned, reminded once and accepted;
// the poisoned one failed.
func outcomesWorld() (*plan, observation) {
	p, obs := world()
	ev := func(typ string, d workflow.OutcomeData) outcome {
		d.Key = addr
		return outcome{Type: typ, MessageID: typ, Subject: "PR-1", Data: d}
	}
	obs.Outcomes = map[string][]outcome{
		addr: {
			ev(workflow.OutcomeInvited, workflow.OutcomeData{}),
			ev(workflow.OutcomeProvisioned, workflow.OutcomeData{Applied: []string{"group:a", "app:b"}}),
			ev(workflow.OutcomeReminded, workflow.OutcomeData{RemindersSent: 1}),
			ev(workflow.OutcomeAccepted, workflow.OutcomeData{}),
		},
		poison: {{Type: workflow.OutcomeFailed, Subject: "PR-P", Data: workflow.OutcomeData{Key: poison, Reason: "policy: roles[0]: privileged"}}},
	}
	return p, obs
}

func TestJudgeOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name              string
		change            func(obs *observation)
		missing, dup, all int
		detail            string
	}{
		{name: "complete", change: func(*observation) {}, all: 5},
		{name: "an invitation reported twice", change: func(obs *observation) {
			obs.Outcomes[addr] = append(obs.Outcomes[addr], outcome{Type: workflow.OutcomeInvited, MessageID: "again", Data: workflow.OutcomeData{Key: addr}})
		}, dup: 1, all: 6, detail: "duplicate outcome " + addr + ": partner-invited c0 (again)"},
		{name: "provisioning reported again with the same changes", change: func(obs *observation) {
			obs.Outcomes[addr] = append(obs.Outcomes[addr], outcome{Type: workflow.OutcomeProvisioned, Data: workflow.OutcomeData{Key: addr, Applied: []string{"app:b", "group:a"}}})
		}, dup: 1, all: 6},
		{name: "a later provisioning with more changes is no duplicate", change: func(obs *observation) {
			obs.Outcomes[addr] = append(obs.Outcomes[addr], outcome{Type: workflow.OutcomeProvisioned, Data: workflow.OutcomeData{Key: addr, Applied: []string{"app:b", "group:a", "role:c"}}})
		}, all: 6},
		{name: "acceptance and reminder not reported", change: func(obs *observation) {
			obs.Outcomes[addr] = obs.Outcomes[addr][:2]
		}, missing: 2, all: 3, detail: "missing outcomes " + addr + ": partner-reminded #1, partner-accepted"},
		{name: "poisoned event not reported", change: func(obs *observation) {
			delete(obs.Outcomes, poison)
		}, missing: 1, all: 4, detail: "missing outcomes " + poison + ": partner-failed"},
		{name: "expired without its event", change: func(obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseExpired
			obs.Records[addr].Invite.Status = ""
			obs.Outcomes[addr] = obs.Outcomes[addr][:3]
		}, missing: 1, all: 4, detail: "partner-expired"},
		{name: "an onboarding still in flight is not judged", change: func(obs *observation) {
			obs.Outcomes[addr] = nil
			obs.Queued = map[string][]queued{addr: {{Type: workflow.TypeReminderDue, Number: 2}}}
		}, all: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, obs := outcomesWorld()
			tc.change(&obs)
			got, details, _ := judge(p, obs, []time.Duration{10 * time.Second, 20 * time.Second}, 5*time.Second)
			if got.OutcomeMissing != tc.missing || got.OutcomeDuplicates != tc.dup || got.Outcomes != tc.all {
				t.Errorf("missing %d duplicates %d outcomes %d, want %d %d %d\ndetails: %q", got.OutcomeMissing, got.OutcomeDuplicates, got.Outcomes, tc.missing, tc.dup, tc.all, details)
			}
			if tc.detail != "" && !strings.Contains(strings.Join(details, "\n"), tc.detail) {
				t.Errorf("no finding mentions %q: %q", tc.detail, details)
			}
		})
	}
}
