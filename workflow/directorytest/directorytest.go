// Package directorytest is the contract every workflow.Directory must meet,
// as one suite run against each implementation, as store/storetest does
// for the Store: the workflow's in-memory fake (workflow/fakes_test.go)
// and graph.Directory over graphsim through the real msgraph-sdk-go client
// (graph/contract_test.go). What the workflow's unit tests assume of the
// fake is thereby what the Graph adapter does against the simulator, and
// neither can drift alone.
//
// The suite imports no SDK (only workflow, internal/testclock and the
// standard library), so that the workflow's own tests can run it.
//
// # Adding an implementation
//
// Write a New function that, for each case, builds a fresh directory
// holding the given Tenant on the suite's clock and returns a Target, and
// call Run(t, newFunc) from a test in the implementation's package. The
// Target's inspection functions read the directory's own state, not
// through the port; its feature switches (replication lag, throttling,
// lost answers) may be nil when the implementation cannot simulate them,
// and their cases are then skipped, saying so.
package directorytest

import (
	"context"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/internal/testclock"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Tenant is what a directory holds when a case starts: the users an
// onboarding may meet (members, guests someone else invited, a local
// account) and the objects changes reference. Ids are GUIDs, as Graph's
// are.
type Tenant struct {
	Users  []User
	Groups []string // group ids
	Roles  []string // directory role definition ids
	Apps   []App    // resource service principals
}

// User is one user present from the start.
type User struct {
	ID                string
	DisplayName       string
	Mail              string // empty for a local account
	UserPrincipalName string
	OtherMails        []string
	// ProxyAddresses are "SMTP:primary" and "smtp:secondary" entries.
	ProxyAddresses []string
	// SignInEmail, when set, is the issuerAssignedId of an emailAddress
	// identity (a local account signing in with an address).
	SignInEmail       string
	UserType          string // Member or Guest
	CreationType      string // Invitation for a guest
	ExternalUserState string // for a guest: PendingAcceptance or Accepted
	CreatedAt         time.Time
}

// App is a resource service principal and the app roles it declares
// (none: only default access can be assigned).
type App struct {
	ID       string
	AppID    string
	AppRoles []string
}

// Target is one implementation under test, holding a Tenant.
type Target struct {
	Directory workflow.Directory

	// Emails reports how many invitation emails went to address.
	Emails func(address string) int
	// Applied reports whether change c is in place for the user.
	Applied func(userID string, c workflow.Change) bool
	// AccountEnabled reports whether the user may sign in.
	AccountEnabled func(userID string) bool

	// SetReplicationLag makes users invited from now on unwritable for d
	// on the directory's clock: writes that reference them answer 404
	// while reads may already see them, as Graph's replicas do. Zero
	// turns it off for later invitations.
	SetReplicationLag func(d time.Duration)
	// SetThrottled makes every invitation answer 429 Too Many Requests
	// with a Retry-After, doing nothing, until switched off.
	SetThrottled func(on bool)
	// SetDropAfter makes the service carry out every request and then
	// drop the connection before answering (a lost answer), until
	// switched off.
	SetDropAfter func(on bool)
}

// New builds a Target holding tenant whose clock (invitation times,
// replication lag, throttle windows) is now. It arranges its own cleanup
// with t.Cleanup.
type New func(t *testing.T, tenant Tenant, now func() time.Time) Target

// start is the suite clock's initial time, a whole second (Graph's
// timestamps have second precision).
var start = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// env is one case's target and clock.
type env struct {
	Target
	clock *testclock.Clock
}

func (e *env) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Options tune how the suite runs.
type Options struct {
	// Sequential runs the cases one after another instead of in
	// parallel, for implementations whose construction touches
	// process-wide state that requests in flight read (msgraph-sdk-go's
	// NewGraphServiceClient sets kiota's global backing store factory).
	Sequential bool
}

// Run runs the contract against targets made by newTarget, each case on a
// fresh tenant (see TenantFixture), in parallel.
func Run(t *testing.T, newTarget New) {
	RunWith(t, newTarget, Options{})
}

// RunWith is Run with options.
func RunWith(t *testing.T, newTarget New, opts Options) {
	cases := []struct {
		name string
		test func(t *testing.T, e *env)
	}{
		{"InviteCreatesGuest", testInviteCreatesGuest},
		{"InviteWithoutMessage", testInviteWithoutMessage},
		{"ReinviteAnswersTheSameGuest", testReinvite},
		{"InviteExistingMember", testInviteExistingMember},
		{"InviteExistingGuest", testInviteExistingGuest},
		{"FindUserByMail", testFindUserByMail},
		{"User", testUser},
		{"ObjectExists", testObjectExists},
		{"ApplyEveryKind", testApplyEveryKind},
		{"ApplyAgainIsSuccess", testApplyAgain},
		{"ApplyErrorsInOrder", testApplyErrorsInOrder},
		{"ApplyToUnknownUser", testApplyToUnknownUser},
		{"ApplyNothing", testApplyNothing},
		{"SetAccountEnabled", testSetAccountEnabled},
		{"DeleteUser", testDeleteUser},
		{"ReplicationLag", testReplicationLag},
		{"Throttled", testThrottled},
		{"LostAnswer", testLostAnswer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !opts.Sequential {
				t.Parallel()
			}
			clk := testclock.New(start)
			c.test(t, &env{Target: newTarget(t, TenantFixture(), clk.Now), clock: clk})
		})
	}
}
