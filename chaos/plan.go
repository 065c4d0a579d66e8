package chaos

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/workflow"
)

// What the harness may assign: graphsim's sample tenant, as allowed by the
// policy dev is started with (policySettings). The Sales distribution list
// is left out: real Graph cannot add members to a distribution list, and a
// simulator brought closer to Graph must not turn valid onboardings into
// failures here.
var (
	allowedGroups = []string{graphsim.SampleGroupPartners, graphsim.SampleGroupApollo}
	allowedRoles  = []string{graphsim.RoleGuestInviter, graphsim.RoleDirectoryReaders, graphsim.RoleReportsReader, graphsim.RoleMessageCenterReader}
	allowedApps   = []workflow.AppAssignment{
		{ServicePrincipalID: graphsim.SampleSPPartnerPortal, AppRoleID: graphsim.SampleAppRolePortalReader},
		{ServicePrincipalID: graphsim.SampleSPPartnerPortal, AppRoleID: graphsim.SampleAppRolePortalAdmin},
		{ServicePrincipalID: graphsim.SampleSPExpenses, AppRoleID: graphsim.SampleAppRoleExpensesSubmit},
		{ServicePrincipalID: graphsim.SampleSPWiki},
	}
	managers = []string{graphsim.SampleUserMegan, graphsim.SampleUserAlex, graphsim.SampleUserAdele}
)

// policySettings is the policy dev runs with: what the plan's valid
// approvals use is allowed, nothing else (an external Graph gets no
// policy defaults from dev).
func policySettings() []string {
	// Each entry names the app role it allows (POLICY_ALLOWED_APPS:
	// spId allows Default Access only, spId/appRoleId that role).
	var apps []string
	for _, a := range allowedApps {
		entry := a.ServicePrincipalID
		if a.AppRoleID != "" {
			entry += "/" + a.AppRoleID
		}
		if !slices.Contains(apps, entry) {
			apps = append(apps, entry)
		}
	}
	return []string{
		"POLICY_ALLOWED_GROUPS=" + strings.Join(allowedGroups, ","),
		"POLICY_ALLOWED_ROLES=" + strings.Join(allowedRoles, ","),
		"POLICY_ALLOWED_APPS=" + strings.Join(apps, ","),
		"POLICY_ALLOWED_SOURCES=*",
	}
}

// eventSource is the CloudEvent source of every event sent (allowed: dev
// runs with POLICY_ALLOWED_SOURCES=*).
const eventSource = "/procurement/partners"

// sendKind says why a message is in the plan.
type sendKind string

const (
	kindFirst     sendKind = "first"     // the first approval of an address
	kindMerge     sendKind = "merge"     // a second approval with more groups, roles and apps
	kindDuplicate sendKind = "duplicate" // a message sent again with the same MessageId
	kindRedeliver sendKind = "redeliver" // the same CloudEvent sent again as a new message
	kindPoison    sendKind = "poison"    // a policy violation
)

// send is one message of the plan and what became of it.
type send struct {
	At        time.Duration // after the start of the traffic
	Kind      sendKind
	Addr      string
	MessageID string
	Body      []byte // structured-mode CloudEvent
	Data      workflow.PartnerApproved

	mu    sync.Mutex
	acked bool // the ops API answered 201 (possibly "duplicate")
}

func (s *send) setAcked() { s.mu.Lock(); s.acked = true; s.mu.Unlock() }
func (s *send) isAcked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

// onboarding is one address of the plan: its messages, whether its guest
// accepts, and when.
type onboarding struct {
	Addr     string
	Poison   bool
	Sends    []*send
	Accepts  bool
	AcceptAt time.Duration // after the start of the traffic
	mu       sync.Mutex
	accepted time.Time // when graphsim confirmed the acceptance
}

func (o *onboarding) setAccepted(t time.Time) {
	o.mu.Lock()
	o.accepted = t
	o.mu.Unlock()
}

// acceptance is when graphsim confirmed the guest's acceptance (zero: not).
func (o *onboarding) acceptance() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.accepted
}

// acked reports whether any approval of the address was acknowledged.
func (o *onboarding) acked() bool {
	return slices.ContainsFunc(o.Sends, (*send).isAcked)
}

// plan is the whole traffic of a run, sends ordered by time.
type plan struct {
	Onboardings []*onboarding
	Sends       []*send
	Window      time.Duration // the first approvals are spread over it
}

// newPlan draws the traffic of a run from c.Seed: per address a first
// approval and maybe a merge (the merge repeats the first one's properties
// and adds a property, groups, roles and apps, so the desired end state
// does not depend on the order in which they are processed), maybe
// repeats, maybe an acceptance; plus poisoned events for addresses of
// their own.
func newPlan(c Config, start time.Time) *plan {
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	_, expire, _ := c.schedule()
	p := &plan{Window: time.Duration(float64(c.Onboardings) / c.Rate * float64(time.Second))}
	uniform := func(d time.Duration) time.Duration {
		if d <= 0 {
			return 0
		}
		return time.Duration(rng.Int64N(int64(d)))
	}
	chance := func(p float64) bool { return rng.Float64() < p }
	add := func(o *onboarding, s *send) {
		s.Addr = o.Addr
		s.Body = cloudEvent(s.MessageID, s.Data, start.Add(s.At))
		o.Sends = append(o.Sends, s)
		p.Sends = append(p.Sends, s)
		// repeats of this message: same id (duplicate detection must drop
		// it), or same CloudEvent in a new message (the reconcile must)
		if chance(c.DuplicateRate) {
			o.Sends = append(o.Sends, &send{At: s.At + uniform(c.FollowUpDelay), Kind: kindDuplicate, Addr: o.Addr, MessageID: s.MessageID, Body: s.Body, Data: s.Data})
			p.Sends = append(p.Sends, o.Sends[len(o.Sends)-1])
		}
		if chance(c.RedeliverRate) {
			o.Sends = append(o.Sends, &send{At: s.At + uniform(c.FollowUpDelay), Kind: kindRedeliver, Addr: o.Addr, MessageID: s.MessageID + "/again", Body: s.Body, Data: s.Data})
			p.Sends = append(p.Sends, o.Sends[len(o.Sends)-1])
		}
	}
	for i := range c.Onboardings {
		n := i + 1
		o := &onboarding{Addr: fmt.Sprintf("guest-%05d@partner-%d.example.com", n, n%17)}
		at := time.Duration(float64(i) / c.Rate * float64(time.Second))
		first := validApproval(rng, n, o.Addr)
		add(o, &send{At: at, Kind: kindFirst, MessageID: fmt.Sprintf("chaos-%05d-a", n), Data: first})
		if chance(c.MergeRate) {
			add(o, &send{At: at + uniform(c.FollowUpDelay), Kind: kindMerge, MessageID: fmt.Sprintf("chaos-%05d-b", n), Data: mergeApproval(rng, first, n)})
		}
		if chance(c.AcceptRate) {
			o.Accepts, o.AcceptAt = true, at+uniform(expire)
		}
		p.Onboardings = append(p.Onboardings, o)
	}
	poisoned := int(float64(c.Onboardings)*c.PoisonRate + 0.5)
	for i := range poisoned {
		n := i + 1
		o := &onboarding{Addr: fmt.Sprintf("poison-%05d@partner-%d.example.com", n, n%17), Poison: true}
		add(o, &send{At: uniform(p.Window + time.Second), Kind: kindPoison, MessageID: fmt.Sprintf("chaos-poison-%05d", n), Data: poisonApproval(rng, n, o.Addr)})
		p.Onboardings = append(p.Onboardings, o)
	}
	slices.SortStableFunc(p.Sends, func(a, b *send) int { return int(a.At - b.At) })
	return p
}

// pick returns k distinct elements of xs (k clipped to len(xs)), in xs' order.
func pick[T any](rng *rand.Rand, xs []T, k int) []T {
	idx := rng.Perm(len(xs))[:min(k, len(xs))]
	slices.Sort(idx)
	out := make([]T, 0, len(idx))
	for _, i := range idx {
		out = append(out, xs[i])
	}
	return out
}

var (
	jobTitles   = []string{"Engineer", "Consultant", "Analyst", "Designer", "Auditor"}
	departments = []string{"R&D", "Sales", "Finance", "Operations"}
	cities      = []string{"Amsterdam", "Berlin", "Lisbon", "Seattle", "Osaka"}
	locations   = []string{"NL", "DE", "PT", "US", "JP"}
)

// validApproval is a first approval within the policy: properties, maybe a
// manager, and zero to two groups, zero or one role, zero to two apps.
func validApproval(rng *rand.Rand, n int, addr string) workflow.PartnerApproved {
	k := rng.IntN(len(cities))
	a := workflow.PartnerApproved{
		RequestID:   fmt.Sprintf("PR-CHAOS-%05d-1", n),
		Email:       addr,
		DisplayName: fmt.Sprintf("Chaos Guest %05d", n),
		Identity:    &workflow.IdentityInput{GivenName: "Chaos", Surname: fmt.Sprintf("Guest%05d", n)},
		Job: &workflow.JobInput{JobTitle: jobTitles[rng.IntN(len(jobTitles))], Department: departments[rng.IntN(len(departments))],
			CompanyName: fmt.Sprintf("Partner %d", n%17)},
		Contact:  &workflow.ContactInput{City: cities[k], PostalCode: fmt.Sprintf("%05d", n)},
		Settings: &workflow.SettingsInput{UsageLocation: locations[k]},
		Groups:   pick(rng, allowedGroups, rng.IntN(len(allowedGroups)+1)),
		Roles:    pick(rng, allowedRoles, rng.IntN(2)),
	}
	if rng.IntN(2) == 0 {
		a.Job.ManagerID = managers[rng.IntN(len(managers))]
	}
	a.Applications = pick(rng, allowedApps, rng.IntN(3))
	return a
}

// mergeApproval is a second approval for the same address: the first one's
// properties and manager, one more property, and one to two more groups,
// roles and apps (some may repeat the first's: a merge adds, never removes).
func mergeApproval(rng *rand.Rand, first workflow.PartnerApproved, n int) workflow.PartnerApproved {
	m := first
	m.RequestID = fmt.Sprintf("PR-CHAOS-%05d-2", n)
	c := *first.Contact
	c.MobilePhone = fmt.Sprintf("+31 6 %08d", n)
	m.Contact = &c
	m.Groups = pick(rng, allowedGroups, 1+rng.IntN(len(allowedGroups)))
	m.Roles = pick(rng, allowedRoles, 1+rng.IntN(2))
	m.Applications = pick(rng, allowedApps, 1+rng.IntN(2))
	return m
}

// poisonApproval violates the policy in one of four ways; none of them may
// reach Graph.
func poisonApproval(rng *rand.Rand, n int, addr string) workflow.PartnerApproved {
	a := workflow.PartnerApproved{RequestID: fmt.Sprintf("PR-CHAOS-POISON-%05d", n), Email: addr, DisplayName: fmt.Sprintf("Poison %05d", n),
		Groups: pick(rng, allowedGroups, 1)}
	switch n % 4 {
	case 0: // a privileged role
		a.Roles = []string{graphsim.RoleGlobalAdministrator}
	case 1: // another privileged role, next to an allowed one
		a.Roles = []string{graphsim.RoleGuestInviter, graphsim.RolePrivilegedRoleAdministrator}
	case 2: // a group that is not allowed
		a.Groups = append(a.Groups, graphsim.SampleGroupSales)
	case 3: // an app that is not allowed
		a.Applications = []workflow.AppAssignment{{ServicePrincipalID: fmt.Sprintf("0bad0000-0000-4000-8000-%012d", n)}}
	}
	return a
}

// cloudEvent is the structured-mode CloudEvent of one partner-approved
// event, as procurement would send it.
func cloudEvent(id string, data workflow.PartnerApproved, at time.Time) []byte {
	b, err := json.Marshal(map[string]any{
		"specversion": "1.0", "type": workflow.TypePartnerApproved, "source": eventSource, "id": id,
		"time": at.UTC().Format(time.RFC3339Nano), "datacontenttype": "application/json", "data": data,
	})
	if err != nil {
		panic(err) // a struct of strings and slices always marshals
	}
	return b
}
