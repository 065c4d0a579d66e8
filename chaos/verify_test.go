package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	addr   = "guest-00001@partner-1.example.com"
	guest  = "11111111-0000-4000-8000-000000000001"
	poison = "poison-00001@partner-1.example.com"
)

// world is one valid onboarding (a first approval and a merge, both
// acknowledged), a poisoned address, and an observation in which
// everything went right: the guest exists once with all it was given, got
// the invitation and one reminder, accepted, and the record is Completed.
func world() (*plan, observation) {
	first := workflow.PartnerApproved{RequestID: "PR-1", Email: addr, DisplayName: "Chaos Guest",
		Identity: &workflow.IdentityInput{GivenName: "Chaos"}, Job: &workflow.JobInput{JobTitle: "Engineer", ManagerID: graphsim.SampleUserMegan},
		Groups: []string{graphsim.SampleGroupPartners}, Applications: []workflow.AppAssignment{{ServicePrincipalID: graphsim.SampleSPWiki}}}
	merge := first
	merge.RequestID, merge.Contact = "PR-2", &workflow.ContactInput{MobilePhone: "+31 6 1"}
	merge.Groups, merge.Roles = []string{graphsim.SampleGroupApollo}, []string{graphsim.RoleGuestInviter}
	o := &onboarding{Addr: addr, Accepts: true}
	o.Sends = []*send{{Kind: kindFirst, Addr: addr, MessageID: "a", Data: first}, {Kind: kindMerge, Addr: addr, MessageID: "b", Data: merge}}
	o.setAccepted(t0.Add(17 * time.Second))
	po := &onboarding{Addr: poison, Poison: true, Sends: []*send{{Kind: kindPoison, Addr: poison, MessageID: "p"}}}
	for _, s := range append(o.Sends, po.Sends...) {
		s.setAcked()
	}
	p := &plan{Onboardings: []*onboarding{o, po}}

	obs := observation{
		Sim: graphsim.State{
			Users: []graphsim.User{{ID: guest, Mail: addr, DisplayName: "Chaos Guest", ManagerID: graphsim.SampleUserMegan,
				Properties: map[string]any{"givenName": "Chaos", "jobTitle": "Engineer", "mobilePhone": "+31 6 1"}}},
			Groups:             []graphsim.Group{{ID: graphsim.SampleGroupPartners, Members: []string{guest}}, {ID: graphsim.SampleGroupApollo, Members: []string{guest}}},
			RoleAssignments:    []graphsim.RoleAssignment{{PrincipalID: guest, RoleDefinitionID: graphsim.RoleGuestInviter}},
			AppRoleAssignments: []graphsim.AppRoleAssignment{{PrincipalID: guest, ResourceID: graphsim.SampleSPWiki, AppRoleID: graphsim.DefaultAccessAppRoleID}},
			Emails:             map[string][]graphsim.Email{addr: {{To: addr, SentAt: t0}, {To: addr, SentAt: t0.Add(10 * time.Second)}}},
		},
		Records: map[string]*workflow.Record{addr: {Key: addr, Phase: workflow.PhaseCompleted, GuestID: guest,
			Invite:    workflow.InviteState{IntentAt: t0, SentAt: t0, EmailsSent: 2, ResendIntent: 1, Status: workflow.StateAccepted},
			Reminders: workflow.ReminderState{Sent: 1}}},
	}
	return p, obs
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *plan, obs *observation)
		want   counts
		detail string // a finding must contain it
	}{
		{name: "all well", change: func(*plan, *observation) {}, want: counts{Completed: 1}},
		{name: "second guest for the address", change: func(_ *plan, obs *observation) {
			obs.Sim.Users = append(obs.Sim.Users, graphsim.User{ID: "dup", Mail: strings.ToUpper(addr)})
		}, want: counts{DuplicateGuests: 1, Completed: 1}, detail: "duplicate guests " + addr + ": 2 users"},
		{name: "reminder mailed twice", change: func(_ *plan, obs *observation) {
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(11 * time.Second)})
		}, want: counts{ExtraEmails: 1, Completed: 1}, detail: "3 email(s) for 2 slot(s)"},
		{name: "an intent without a result is a slot", change: func(_ *plan, obs *observation) {
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(21 * time.Second)})
			obs.Records[addr].Invite.ResendIntent = 2
		}, want: counts{Completed: 1}},
		{name: "two emails before the second reminder was due", change: func(_ *plan, obs *observation) {
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(14 * time.Second)})
			obs.Records[addr].Reminders.Sent = 2
		}, want: counts{ExtraEmails: 1, Completed: 1}, detail: "3 email(s) for 3 slot(s), 1 matching no slot"},
		{name: "emails out of order", change: func(_ *plan, obs *observation) {
			e := obs.Sim.Emails[addr]
			obs.Sim.Emails[addr] = []graphsim.Email{{SentAt: t0.Add(21 * time.Second)}, e[1], e[0]}
			obs.Records[addr].Reminders.Sent = 2
		}, want: counts{Completed: 1}},
		{name: "email after the acceptance", change: func(_ *plan, obs *observation) {
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(30 * time.Second)})
			obs.Records[addr].Reminders.Sent = 2
		}, want: counts{ExtraEmails: 1, Completed: 1}, detail: "1 more than 5s after the acceptance"},
		{name: "email in flight at the acceptance", change: func(_ *plan, obs *observation) {
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(21 * time.Second)})
			obs.Records[addr].Reminders.Sent = 2
		}, want: counts{Completed: 1}},
		{name: "a new cycle after the acceptance invites again", change: func(_ *plan, obs *observation) {
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(40 * time.Second)})
			r := obs.Records[addr]
			r.Cycle, r.Invite = 1, workflow.InviteState{SentAt: t0.Add(40 * time.Second), EmailsSent: 3}
			r.Reminders = workflow.ReminderState{}
			r.History = []workflow.HistoryEntry{{At: t0.Add(39 * time.Second), Step: "restarted"}}
		}, want: counts{Completed: 1}},
		{name: "no record: one cycle's slots", change: func(_ *plan, obs *observation) {
			delete(obs.Records, addr)
			obs.Sim.Emails[addr] = append(obs.Sim.Emails[addr], graphsim.Email{SentAt: t0.Add(11 * time.Second)}, graphsim.Email{SentAt: t0.Add(12 * time.Second)})
		}, want: counts{ExtraEmails: 1, Lost: 1}, detail: "4 email(s) for 3 slot(s)"},
		{name: "missing group, manager and properties", change: func(_ *plan, obs *observation) {
			obs.Sim.Groups[1].Members = nil
			obs.Sim.Users[0].ManagerID = ""
			delete(obs.Sim.Users[0].Properties, "mobilePhone")
			obs.Sim.Users[0].Properties["jobTitle"] = "Auditor"
		}, want: counts{Incomplete: 1, Completed: 1}, detail: "lacks jobTitle \"Engineer\" (has \"Auditor\"), mobilePhone \"+31 6 1\" (unset), manager " + graphsim.SampleUserMegan + ", group " + graphsim.SampleGroupApollo},
		{name: "missing role and app on an expired onboarding", change: func(_ *plan, obs *observation) {
			obs.Sim.RoleAssignments, obs.Sim.AppRoleAssignments = nil, nil
			obs.Records[addr].Phase = workflow.PhaseExpired
		}, want: counts{Incomplete: 1, Expired: 1}, detail: "role " + graphsim.RoleGuestInviter},
		{name: "completed without a guest", change: func(_ *plan, obs *observation) {
			obs.Sim.Users = nil
		}, want: counts{Incomplete: 1, Completed: 1}, detail: "no guest"},
		{name: "provisioned, reminder chain broken", change: func(_ *plan, obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseProvisioned
			obs.Records[addr].Reminders.Next = 2
		}, want: counts{Lost: 1}, detail: "lost " + addr + ": phase Provisioned"},
		{name: "provisioned, next reminder queued", change: func(_ *plan, obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseProvisioned
			obs.Records[addr].Reminders.Next = 2
			obs.Queued = map[string][]queued{addr: {{Type: workflow.TypeReminderDue, Number: 2}}}
		}, want: counts{Pending: 1}},
		{name: "provisioned, a merge dead-lettered does not explain the broken chain", change: func(_ *plan, obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseProvisioned
			obs.Records[addr].Reminders.Next = 2
			obs.DeadLetters = map[string][]deadLetter{addr: {{queued: queued{Type: workflow.TypePartnerApproved}, Reason: "policy: …"}}}
		}, want: counts{Lost: 1}},
		{name: "provisioned, its reminder dead-lettered with a reason", change: func(_ *plan, obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseProvisioned
			obs.Records[addr].Reminders.Next = 2
			obs.DeadLetters = map[string][]deadLetter{addr: {{queued: queued{Type: workflow.TypeReminderDue, Number: 2}, Reason: "gave up"}}}
		}, want: counts{DeadLettered: 1}},
		{name: "failed and dead-lettered without a reason", change: func(_ *plan, obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseFailed
			obs.DeadLetters = map[string][]deadLetter{addr: {{queued: queued{Type: workflow.TypePartnerApproved}}}}
		}, want: counts{Lost: 1}},
		{name: "failed and dead-lettered with a reason", change: func(_ *plan, obs *observation) {
			obs.Records[addr].Phase = workflow.PhaseFailed
			obs.DeadLetters = map[string][]deadLetter{addr: {{queued: queued{Type: workflow.TypePartnerApproved}, Reason: "boom"}}}
		}, want: counts{DeadLettered: 1}},
		{name: "acknowledged but no record", change: func(_ *plan, obs *observation) {
			delete(obs.Records, addr)
		}, want: counts{Lost: 1}, detail: "(no record)"},
		{name: "no record, still in the queue", change: func(_ *plan, obs *observation) {
			delete(obs.Records, addr)
			obs.Queued = map[string][]queued{addr: {{Type: workflow.TypePartnerApproved}}}
		}, want: counts{InFlight: 1}},
		{name: "never acknowledged", change: func(p *plan, obs *observation) {
			p.Onboardings[0].Sends = []*send{{Kind: kindFirst, Addr: addr}}
			delete(obs.Records, addr)
		}, want: counts{Unacked: 1}},
		{name: "poisoned event created a guest", change: func(_ *plan, obs *observation) {
			obs.Sim.Users = append(obs.Sim.Users, graphsim.User{ID: "x", Mail: poison})
		}, want: counts{PoisonLeaks: 1, Completed: 1}, detail: "poison leak"},
		{name: "panics and an exit nobody caused", change: func(_ *plan, obs *observation) {
			obs.PanicLines = []string{"dev-001.log: panic: boom", "dev-002.log: handler panic"}
			obs.UnexpectedExits = []string{"dev-003.log: dev exited while running (exit status 2)"}
		}, want: counts{Panics: 3, Completed: 1}, detail: "exit without a kill: dev-003.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, obs := world()
			tc.change(p, &obs)
			got, details, _ := judge(p, obs, []time.Duration{10 * time.Second, 20 * time.Second}, 5*time.Second)
			if got != tc.want {
				t.Errorf("counts %+v\nwant   %+v\ndetails: %q", got, tc.want, details)
			}
			if got.failures() != len(details) {
				t.Errorf("%d failures but %d findings: %q", got.failures(), len(details), details)
			}
			if tc.detail != "" && !strings.Contains(strings.Join(details, "\n"), tc.detail) {
				t.Errorf("no finding mentions %q: %q", tc.detail, details)
			}
		})
	}
}

func TestMessageKey(t *testing.T) {
	for _, tc := range []struct {
		body string
		want queued
		key  string
	}{
		{`{"type":"partner-approved","data":{"email":"Guest-1@X.example.com","groups":[]}}`, queued{Type: "partner-approved"}, "guest-1@x.example.com"},
		{`{"type":"reminder-due","data":{"key":"g@x.example.com","number":2,"cycle":1,"requestId":"r"}}`, queued{Type: "reminder-due", Number: 2, Cycle: 1}, "g@x.example.com"},
		{`not json`, queued{}, ""},
	} {
		got, key := messageKey([]byte(tc.body))
		if got != tc.want || key != tc.key {
			t.Errorf("%s: %+v %q, want %+v %q", tc.body, got, key, tc.want, tc.key)
		}
	}
}

// TestPanicLine counts a panic once, not once per stack frame, and
// catches a recovered panic the handler logged.
func TestPanicLine(t *testing.T) {
	log := `12:00:00.000 INFO  step approved  key=g***@x.example.com
12:00:01.000 ERROR handler panic  path=/OnboardingEvents panic="runtime error: index out of range"
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x0]

goroutine 1 [running]:
panic({0x1234, 0x5678})
	/usr/local/go/src/runtime/panic.go:785 +0x132
main.main()
	/src/main.go:10 +0x1d
fatal error: concurrent map writes
12:00:02.000 INFO  message m → 200 completed
`
	var hits []string
	for _, l := range strings.Split(log, "\n") {
		if isPanicLine(l) {
			hits = append(hits, l)
		}
	}
	if len(hits) != 3 {
		t.Errorf("%d panic lines, want 3 (recovered, panic:, fatal error:): %q", len(hits), hits)
	}
}
