package chaos

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// observation is what a run reads back once the system is quiet.
type observation struct {
	Sim graphsim.State
	// Records by address, from the status function (absent: none).
	Records map[string]*workflow.Record
	// Queued are the messages still in the main queue, by onboarding key.
	Queued map[string][]queued
	// DeadLetters by onboarding key, with the reason the workflow recorded.
	DeadLetters map[string][]deadLetter
	// PanicLines are the dev processes' log lines that report a panic or a
	// fatal runtime error; UnexpectedExits describe the dev processes that
	// ended without being killed.
	PanicLines      []string
	UnexpectedExits []string
	// Outcomes are the outcome events on the procurement subscription,
	// by onboarding key.
	Outcomes map[string][]outcome
}

// queued is a message in the main queue.
type queued struct {
	MessageID string
	Type      string
	Number    int // reminder-due: which reminder
	Cycle     int
}

// deadLetter is a dead-lettered message and the recorded reason ("" none).
type deadLetter struct {
	queued
	Reason string
}

// messageKey reads the onboarding key a queued or dead-lettered message is
// about from its CloudEvent body: data.email for partner-approved (the
// harness sends normalized addresses), data.key for reminder-due.
func messageKey(body []byte) (queued, string) {
	var ev struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &ev) != nil {
		return queued{}, ""
	}
	var d struct {
		Email  string `json:"email"`
		Key    string `json:"key"`
		Number int    `json:"number"`
		Cycle  int    `json:"cycle"`
	}
	_ = json.Unmarshal(ev.Data, &d)
	key := d.Key
	if key == "" {
		key = d.Email
	}
	return queued{Type: ev.Type, Number: d.Number, Cycle: d.Cycle}, strings.ToLower(key)
}

// counts are the six things that must be 0, and how the onboardings ended.
type counts struct {
	DuplicateGuests int // users beyond the first per address
	ExtraEmails     int // emails beyond one per slot, or after the acceptance
	Lost            int // acknowledged, yet not completed, expired, pending with the next reminder queued, nor dead-lettered with a reason
	Incomplete      int // completed, expired or provisioned, but the guest lacks something desired
	PoisonLeaks     int // poisoned addresses that got a guest
	Panics          int // panic lines in the dev logs plus dev exits nobody caused
	// OutcomeMissing counts transitions a settled onboarding's record shows
	// without their outcome event; OutcomeDuplicates events reporting a
	// transition a second time (judgeOutcomes).
	OutcomeMissing, OutcomeDuplicates int
	Outcomes                          int // outcome events read

	Completed, Expired, Pending, InFlight, DeadLettered, Unacked int
}

// failures is the sum of the counts that fail the run.
func (c counts) failures() int {
	return c.DuplicateGuests + c.ExtraEmails + c.Lost + c.Incomplete + c.PoisonLeaks + c.Panics + c.OutcomeMissing + c.OutcomeDuplicates
}

// judge counts what went wrong. Each finding is also described in one line
// of findings; notes describe, one line each, the onboardings that ended
// neither well nor counted (dead-lettered, still in flight, never
// acknowledged), for the test log.
func judge(p *plan, obs observation, schedule []time.Duration, grace time.Duration) (c counts, findings, notes []string) {
	finding := func(format string, args ...any) { findings = append(findings, fmt.Sprintf(format, args...)) }
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	byMail := map[string][]graphsim.User{}
	for _, u := range obs.Sim.Users {
		if u.Mail != "" {
			m := strings.ToLower(u.Mail)
			byMail[m] = append(byMail[m], u)
		}
	}
	members := map[string]bool{}
	for _, g := range obs.Sim.Groups {
		for _, m := range g.Members {
			members[g.ID+"|"+strings.ToLower(m)] = true
		}
	}
	roles := map[string]bool{}
	for _, a := range obs.Sim.RoleAssignments {
		roles[strings.ToLower(a.PrincipalID)+"|"+a.RoleDefinitionID] = true
	}
	apps := map[string]bool{}
	for _, a := range obs.Sim.AppRoleAssignments {
		apps[strings.ToLower(a.PrincipalID)+"|"+a.ResourceID+"|"+a.AppRoleID] = true
	}

	for _, o := range p.Onboardings {
		users := byMail[o.Addr]
		if o.Poison {
			if len(users) > 0 {
				c.PoisonLeaks++
				finding("poison leak %s: %d guest(s) created for a poisoned event", o.Addr, len(users))
			}
			continue
		}
		if len(users) > 1 {
			c.DuplicateGuests += len(users) - 1
			finding("duplicate guests %s: %d users", o.Addr, len(users))
		}
		rec := obs.Records[o.Addr]
		if n, why := extraEmails(o, rec, obs.Sim.Emails[o.Addr], schedule, grace); n > 0 {
			c.ExtraEmails += n
			finding("extra emails %s: %d (%s)", o.Addr, n, why)
		}
		if !o.acked() {
			c.Unacked++
			note("never acknowledged %s: no send of it got a 201 from the ops API", o.Addr)
			continue
		}

		// how did it end?
		nextQueued, inFlight := false, len(obs.Queued[o.Addr]) > 0
		if rec != nil {
			nextQueued = slices.ContainsFunc(obs.Queued[o.Addr], func(q queued) bool {
				return q.Type == workflow.TypeReminderDue && q.Number == rec.Reminders.Next && q.Cycle == rec.Cycle
			})
		}
		phase := workflow.Phase("none")
		if rec != nil {
			phase = rec.Phase
		}
		deadLettered := slices.ContainsFunc(obs.DeadLetters[o.Addr], func(dl deadLetter) bool {
			return dl.Reason != "" && explains(dl, rec)
		})
		switch {
		case phase == workflow.PhaseCompleted:
			c.Completed++
		case phase == workflow.PhaseExpired:
			c.Expired++
		case nextQueued && phase != workflow.PhaseFailed:
			c.Pending++
		case inFlight:
			c.InFlight++
			note("in flight %s: phase %s, %d message(s) still queued", o.Addr, phase, len(obs.Queued[o.Addr]))
		case deadLettered:
			c.DeadLettered++
			note("dead-lettered %s: phase %s%s", o.Addr, phase, recordHint(rec))
		default:
			c.Lost++
			finding("lost %s: phase %s, nothing queued, no dead letter with a reason%s", o.Addr, phase, recordHint(rec))
		}

		// provisioning of what is meant to be done
		if rec == nil || inFlight || (phase != workflow.PhaseCompleted && phase != workflow.PhaseExpired && phase != workflow.PhaseProvisioned) {
			continue
		}
		guest, ok := guestOf(users, rec.GuestID)
		if !ok {
			c.Incomplete++
			finding("incomplete %s: phase %s but no guest %q in graphsim (%d user(s) with the address)", o.Addr, phase, rec.GuestID, len(users))
			continue
		}
		want := desiredOf(o)
		var missing []string
		if want.DisplayName != "" && guest.DisplayName != want.DisplayName {
			missing = append(missing, fmt.Sprintf("displayName %q (has %q)", want.DisplayName, guest.DisplayName))
		}
		for _, k := range sortedKeys(want.Props) {
			switch got, ok := guest.Properties[k]; {
			case !ok || got == nil:
				missing = append(missing, fmt.Sprintf("%s %q (unset)", k, want.Props[k]))
			case fmt.Sprint(got) != want.Props[k]:
				missing = append(missing, fmt.Sprintf("%s %q (has %q)", k, want.Props[k], fmt.Sprint(got)))
			}
		}
		if want.Manager != "" && !strings.EqualFold(guest.ManagerID, want.Manager) {
			missing = append(missing, "manager "+want.Manager)
		}
		id := strings.ToLower(guest.ID)
		for _, g := range want.Groups {
			if !members[g+"|"+id] {
				missing = append(missing, "group "+g)
			}
		}
		for _, r := range want.Roles {
			if !roles[id+"|"+r] {
				missing = append(missing, "role "+r)
			}
		}
		for _, a := range want.Apps {
			if !apps[id+"|"+a.ServicePrincipalID+"|"+a.AppRoleID] {
				missing = append(missing, "app "+a.ServicePrincipalID+"/"+a.AppRoleID)
			}
		}
		if len(missing) > 0 {
			c.Incomplete++
			finding("incomplete %s: phase %s, guest %s lacks %s%s", o.Addr, phase, guest.ID, strings.Join(missing, ", "), recordHint(rec))
		}
	}
	judgeOutcomes(p, obs, &c, finding)
	for _, l := range obs.PanicLines {
		c.Panics++
		finding("panic: %s", l)
	}
	for _, e := range obs.UnexpectedExits {
		c.Panics++
		finding("exit without a kill: %s", e)
	}
	return c, findings, notes
}

// explains reports whether a dead letter accounts for an onboarding that
// went no further: any of its messages when it failed or never got past
// the start, but for one that is invited or provisioned, and so should be
// waiting for its next reminder, only that reminder (a dead-lettered
// second approval does not explain a broken reminder chain).
func explains(dl deadLetter, rec *workflow.Record) bool {
	if rec == nil || rec.Phase == workflow.PhaseFailed || rec.Phase == workflow.PhaseNew {
		return true
	}
	return dl.Type == workflow.TypeReminderDue && dl.Cycle == rec.Cycle && dl.Number >= rec.Reminders.Next
}

// recordHint adds the record's failure or last error to a finding.
func recordHint(rec *workflow.Record) string {
	switch {
	case rec == nil:
		return " (no record)"
	case rec.Failure != nil:
		return fmt.Sprintf(" (failure: %s)", rec.Failure.Reason)
	case rec.LastError != "":
		return fmt.Sprintf(" (last error: %s)", rec.LastError)
	}
	return ""
}

// guestOf picks the record's guest among the users with its address.
func guestOf(users []graphsim.User, guestID string) (graphsim.User, bool) {
	for _, u := range users {
		if strings.EqualFold(u.ID, guestID) {
			return u, true
		}
	}
	if guestID == "" && len(users) == 1 {
		return users[0], true
	}
	return graphsim.User{}, false
}

// slotEarly is how much earlier than its due time a reminder's email is
// still taken for that reminder's (the queue and graphsim share one clock;
// this only absorbs rounding).
const slotEarly = 500 * time.Millisecond

// extraEmails counts the emails to one address beyond one per slot, a slot
// being (cycle, invitation or reminder n). Graph (and graphsim) cannot tell
// an invitation from a resend, so the slots come from the record: per
// finished earlier cycle the invitation and every reminder; in the current
// cycle the invitation once it was attempted, and the reminders up to the
// highest one attempted (a resend records its intent before it calls Graph,
// so a slot the record never reached had no legitimate email). Reminder n's
// email cannot come before reminder n is due (the invitation time plus its
// place in the schedule), so the emails, in time order, are matched to the
// slots they can belong to; what matches no slot is extra. Emails sent more
// than grace after the guest accepted count too, unless a later approval
// started a new cycle (which invites anew); the larger of the two figures is
// the count, so no email counts twice. Without a record, every slot of one
// cycle is allowed, at any time: that onboarding is counted as lost instead.
func extraEmails(o *onboarding, rec *workflow.Record, emails []graphsim.Email, schedule []time.Duration, grace time.Duration) (int, string) {
	var due []time.Time // per slot, the earliest time its email can be sent (zero: any)
	switch {
	case rec == nil:
		due = make([]time.Time, 1+len(schedule))
	default:
		due = make([]time.Time, rec.Cycle*(1+len(schedule)))
		if !rec.Invite.SentAt.IsZero() || !rec.Invite.IntentAt.IsZero() {
			due = append(due, time.Time{})
		}
		base := rec.Invite.SentAt // reminders are due from the invitation; its intent came earlier still
		if !rec.Invite.IntentAt.IsZero() && rec.Invite.IntentAt.Before(base) {
			base = rec.Invite.IntentAt
		}
		for n := 1; n <= max(rec.Reminders.Sent, rec.Invite.ResendIntent); n++ {
			var at time.Time
			if n <= len(schedule) && !base.IsZero() {
				at = base.Add(schedule[n-1] - slotEarly)
			}
			due = append(due, at)
		}
	}
	slots := len(due)
	sorted := slices.Clone(emails)
	slices.SortFunc(sorted, func(a, b graphsim.Email) int { return a.SentAt.Compare(b.SentAt) })
	over, matched := 0, 0
	for _, e := range sorted {
		open := 0 // slots this email could fill: due by its time
		for _, d := range due {
			if !d.After(e.SentAt) {
				open++
			}
		}
		if open > matched { // any of them is as good: a later email can fill whatever this one can
			matched++
		} else {
			over++
		}
	}
	after := 0
	accepted := o.acceptance()
	if !accepted.IsZero() {
		until := time.Time{} // a new cycle after the acceptance re-invites by design
		if rec != nil {
			for _, h := range rec.History {
				if h.Step == "restarted" && h.At.After(accepted) {
					until = h.At
					break
				}
			}
		}
		for _, e := range emails {
			if e.SentAt.After(accepted.Add(grace)) && (until.IsZero() || e.SentAt.Before(until)) {
				after++
			}
		}
	}
	if over == 0 && after == 0 {
		return 0, ""
	}
	return max(over, after), fmt.Sprintf("%d email(s) for %d slot(s), %d matching no slot, %d more than %s after the acceptance", len(emails), slots, over, after, grace)
}

// desired is the end state the acknowledged approvals of an address ask for.
type desired struct {
	DisplayName string
	Props       map[string]string // Graph property name → value
	Manager     string
	Groups      []string
	Roles       []string
	Apps        []workflow.AppAssignment // AppRoleID filled in (default access)
}

// desiredOf merges the acknowledged approvals of an address as the design
// says (assignments added, properties and manager set): every approval the
// queue accepted is meant to take effect, whatever became of its message.
func desiredOf(o *onboarding) desired {
	d := desired{Props: map[string]string{}}
	seen := map[string]bool{}
	for _, s := range o.Sends {
		if !s.isAcked() || seen[s.Data.RequestID] {
			continue
		}
		seen[s.Data.RequestID] = true
		a := s.Data
		if a.DisplayName != "" {
			d.DisplayName = a.DisplayName
		}
		set := func(name, v string) {
			if v != "" {
				d.Props[name] = v
			}
		}
		if a.Identity != nil {
			set("givenName", a.Identity.GivenName)
			set("surname", a.Identity.Surname)
		}
		if a.Job != nil {
			set("jobTitle", a.Job.JobTitle)
			set("department", a.Job.Department)
			set("companyName", a.Job.CompanyName)
			if a.Job.ManagerID != "" {
				d.Manager = a.Job.ManagerID
			}
		}
		if a.Contact != nil {
			set("city", a.Contact.City)
			set("postalCode", a.Contact.PostalCode)
			set("mobilePhone", a.Contact.MobilePhone)
		}
		if a.Settings != nil {
			set("usageLocation", a.Settings.UsageLocation)
		}
		d.Groups = union(d.Groups, a.Groups)
		d.Roles = union(d.Roles, a.Roles)
		for _, app := range a.Applications {
			if app.AppRoleID == "" {
				app.AppRoleID = graphsim.DefaultAccessAppRoleID
			}
			if !slices.Contains(d.Apps, app) {
				d.Apps = append(d.Apps, app)
			}
		}
	}
	return d
}

func union(a, b []string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	return a
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
