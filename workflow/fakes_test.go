package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// fakeDirectory is an in-memory tenant for the domain's unit tests. It is
// held to the same contract as graph.Directory over graphsim
// (directorytest, run in directory_contract_test.go). Like graphsim (and
// Graph), a user in replication lag answers 404 to writes while reads
// already see it, unless hideReads is set.
type fakeDirectory struct {
	mu  sync.Mutex
	now func() time.Time
	// users by id; owners maps every address a user owns (mail,
	// otherMails, proxy addresses, UPN; lower-cased) to its id, signIns
	// the addresses of emailAddress identities.
	users           map[string]*workflow.DirectoryUser
	owners, signIns map[string]string
	emails          map[string]int // invitation mails per (lower-cased) address
	invites         int            // POST /invitations calls
	applied         map[string]bool
	// failures to inject: op name → errors returned in order (then nil);
	// failAfter errors are returned after the call took effect (a lost answer)
	fail, failAfter map[string][]error
	// hidden users 404 on writes (Apply, SetAccountEnabled):
	// replication lag; with hideReads reads 404 (User) or miss them too.
	// lag hides every user an invitation creates for that long
	// (visibleAt), as graphsim's ReplicationLag knob does.
	hidden    map[string]bool
	hideReads bool
	lag       time.Duration
	visibleAt map[string]time.Time
	// unlisted users are missed by FindUserByMail (a lookup that lags or
	// a property the filter does not cover)
	unlisted map[string]bool
	// missing ids make Apply answer NotFound for that target, and
	// ObjectExists report false. When objects is set, the tenant is
	// closed: only those referenced objects exist (the contract suite's
	// tenant), and appRoles lists the app roles each application declares.
	missing  map[string]bool
	objects  map[string]bool
	appRoles map[string][]string
	reads    []string // ObjectExists calls: "kind id"
	disabled map[string]bool
	deleted  map[string]bool
	// throttle, when set, answers every invitation 429 with this
	// Retry-After; dropAfter loses the answer of every Invite and Apply
	// after it took effect.
	throttle  time.Duration
	dropAfter bool
	inviteGap time.Duration // time an Invite call takes
}

func newFakeDirectory(now func() time.Time) *fakeDirectory {
	return &fakeDirectory{now: now, users: map[string]*workflow.DirectoryUser{}, owners: map[string]string{}, signIns: map[string]string{},
		emails: map[string]int{}, applied: map[string]bool{}, fail: map[string][]error{}, failAfter: map[string][]error{},
		hidden: map[string]bool{}, visibleAt: map[string]time.Time{}, unlisted: map[string]bool{}, missing: map[string]bool{},
		disabled: map[string]bool{}, deleted: map[string]bool{}}
}

func injected(m map[string][]error, op string) error {
	if errs := m[op]; len(errs) > 0 {
		m[op] = errs[1:]
		return errs[0]
	}
	return nil
}

// seed adds a user that exists before any onboarding (a member, or a guest
// someone else invited), owning its mail and the other addresses given.
func (f *fakeDirectory) seed(u workflow.DirectoryUser, addresses ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := u
	f.users[u.ID] = &c
	for _, a := range append(addresses, u.Mail) {
		if a != "" {
			f.owners[strings.ToLower(a)] = u.ID
		}
	}
}

// lagging reports whether writes to the user answer 404 (replication lag).
func (f *fakeDirectory) lagging(id string) bool {
	return f.hidden[id] || f.now().Before(f.visibleAt[id])
}

// userExists reports whether the user exists (and is not deleted).
func (f *fakeDirectory) userExists(id string) bool {
	_, ok := f.users[id]
	return ok && !f.deleted[id]
}

// exists reports whether a referenced object (or a user) exists.
func (f *fakeDirectory) exists(id string) bool {
	switch {
	case f.missing[id]:
		return false
	case f.objects == nil:
		return true
	}
	return f.objects[id] || f.userExists(id)
}

// lostAnswer is the error of a request that took effect but whose answer
// never arrived.
func lostAnswer(op string) error {
	return &workflow.TransientError{Op: op, Err: errors.New("connection closed before the answer")}
}

func (f *fakeDirectory) Invite(ctx context.Context, inv workflow.Invitation) (workflow.InviteResult, error) {
	time.Sleep(f.inviteGap)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle > 0 {
		return workflow.InviteResult{}, &workflow.TransientError{Op: "invite", RetryAfter: f.throttle, Refused: true, Err: errors.New("429 TooManyRequests")}
	}
	if err := injected(f.fail, "invite"); err != nil {
		return workflow.InviteResult{}, err
	}
	f.invites++
	addr := strings.ToLower(inv.Email)
	id, ok := f.owners[addr]
	if ok && f.deleted[id] {
		delete(f.owners, addr)
		ok = false
	}
	member := ok && f.users[id].UserType == "Member" && f.users[id].CreationType != "Invitation"
	if !ok {
		id = fmt.Sprintf("guest-%d", len(f.users)+1)
		userType := inv.UserType
		if userType == "" {
			userType = "Guest"
		}
		f.users[id] = &workflow.DirectoryUser{ID: id, Mail: inv.Email, UserType: userType, ExternalUserState: workflow.StatePendingAcceptance,
			CreationType: "Invitation", CreatedAt: f.now()}
		f.owners[addr] = id
		if f.lag > 0 {
			f.visibleAt[id] = f.now().Add(f.lag)
		}
	}
	if inv.SendMessage && !member { // a member receives no invitation
		f.emails[addr]++
	}
	if f.dropAfter {
		return workflow.InviteResult{}, lostAnswer("invite")
	}
	if err := injected(f.failAfter, "invite"); err != nil {
		return workflow.InviteResult{}, err
	}
	status := workflow.StatePendingAcceptance
	if f.users[id].ExternalUserState != workflow.StatePendingAcceptance {
		status = "Completed"
	}
	return workflow.InviteResult{GuestID: id, Status: status}, nil
}

func (f *fakeDirectory) FindUserByMail(ctx context.Context, email string) (workflow.DirectoryUser, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := injected(f.fail, "find"); err != nil {
		return workflow.DirectoryUser{}, false, err
	}
	id, ok := f.owners[strings.ToLower(email)]
	if !ok {
		id, ok = f.signIns[strings.ToLower(email)]
	}
	if !ok || f.deleted[id] || f.unlisted[id] || f.hideReads && f.lagging(id) {
		return workflow.DirectoryUser{}, false, nil
	}
	return *f.users[id], true, nil
}

func (f *fakeDirectory) User(ctx context.Context, id string) (workflow.DirectoryUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := injected(f.fail, "user"); err != nil {
		return workflow.DirectoryUser{}, err
	}
	u, ok := f.users[id]
	if !ok || f.deleted[id] || f.hideReads && f.lagging(id) {
		return workflow.DirectoryUser{}, &workflow.NotFoundError{Op: "get user", Err: fmt.Errorf("user %s", id)}
	}
	return *u, nil
}

func (f *fakeDirectory) ObjectExists(ctx context.Context, kind workflow.ChangeKind, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := injected(f.fail, "exists"); err != nil {
		return false, err
	}
	f.reads = append(f.reads, string(kind)+" "+id)
	return kind == workflow.ChangeProperties || f.exists(id), nil
}

func (f *fakeDirectory) Apply(ctx context.Context, guestID string, changes []workflow.Change) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(changes))
	for i, c := range changes {
		switch {
		case f.lagging(guestID) || !f.userExists(guestID):
			errs[i] = &workflow.NotFoundError{Op: string(c.Kind), Err: fmt.Errorf("directory object %s", guestID)}
		case c.Kind != workflow.ChangeProperties && !f.exists(c.ID):
			errs[i] = &workflow.NotFoundError{Op: string(c.Kind), Err: fmt.Errorf("%s %s", c.Kind, c.ID)}
		case c.Kind == workflow.ChangeApp && f.objects != nil && c.AppRoleID != "" && c.AppRoleID != workflow.DefaultAppRoleID && !slices.Contains(f.appRoles[c.ID], c.AppRoleID):
			errs[i] = &workflow.PermanentError{Op: string(c.Kind), Reason: fmt.Sprintf("400: app role %s is not declared by %s", c.AppRoleID, c.ID)}
		default:
			if err := injected(f.fail, "apply:"+c.Key()); err != nil {
				errs[i] = err
				continue
			}
			f.applied[guestID+" "+c.Key()] = true
			if f.dropAfter {
				errs[i] = lostAnswer(string(c.Kind))
			}
		}
	}
	return errs
}

func (f *fakeDirectory) SetAccountEnabled(ctx context.Context, id string, enabled bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.userExists(id) || f.lagging(id) {
		return &workflow.NotFoundError{Op: "set accountEnabled", Err: fmt.Errorf("user %s", id)}
	}
	f.disabled[id] = !enabled
	return nil
}

// DeleteUser deletes the user; one already gone is success, as in graph.
func (f *fakeDirectory) DeleteUser(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted[id] = true
	return nil
}

func (f *fakeDirectory) accept(email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[f.owners[strings.ToLower(email)]].ExternalUserState = workflow.StateAccepted
}

func (f *fakeDirectory) counts(email string) (invites, emails int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.invites, f.emails[strings.ToLower(email)]
}

// appliedKeys lists the writes applied: "guest change-key".
func (f *fakeDirectory) appliedKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.applied {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// scheduled is one message handed to the fake scheduler.
type scheduled struct {
	msg workflow.Message
	at  time.Time
}

// fakeScheduler records scheduled messages, dropping repeated ids like
// Service Bus duplicate detection. It is held to the same contract as
// servicebus.Scheduler (schedulertest, run in scheduler_contract_test.go):
// it refuses what Service Bus or the handler would (an empty or over-long
// id, an event without id, source or type, data that is not JSON).
type fakeScheduler struct {
	mu   sync.Mutex
	msgs []scheduled
	seen map[string]bool
	err  error
	// onSchedule, when set, is called (outside the lock) with every new
	// message, as a queue that delivers a due message at once would.
	onSchedule func(scheduled)
}

func (s *fakeScheduler) Schedule(ctx context.Context, m workflow.Message, at time.Time) error {
	if err := checkScheduled(m); err != nil {
		return err
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return s.err
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	fresh := !s.seen[m.ID]
	if fresh {
		s.seen[m.ID] = true
		s.msgs = append(s.msgs, scheduled{m, at})
	}
	hook := s.onSchedule
	s.mu.Unlock()
	if fresh && hook != nil {
		hook(scheduled{m, at})
	}
	return nil
}

// checkScheduled refuses a message Service Bus would refuse (MessageId
// empty or over 128 characters) or the handler could not decode.
func checkScheduled(m workflow.Message) error {
	switch {
	case m.ID == "" || len(m.ID) > 128:
		return fmt.Errorf("schedule: message id %q: must be 1 to 128 characters (Service Bus MessageId limit)", m.ID)
	case m.Event.ID == "" || m.Event.Source == "" || m.Event.Type == "":
		return fmt.Errorf("schedule %s: event id, source and type are required", m.ID)
	case len(m.Event.Data) > 0 && !json.Valid(m.Event.Data):
		return fmt.Errorf("schedule %s: event data must be JSON", m.ID)
	}
	return nil
}

// lose drops a scheduled message as if it had never reached the queue
// (the process that sent it died first): its id may be scheduled again.
func (s *fakeScheduler) lose(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.seen, id)
	s.msgs = slices.DeleteFunc(s.msgs, func(m scheduled) bool { return m.msg.ID == id })
}

// find returns the scheduled message with this id.
func (s *fakeScheduler) find(id string) (scheduled, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.msg.ID == id {
			return m, true
		}
	}
	return scheduled{}, false
}

func (s *fakeScheduler) all() []scheduled {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]scheduled(nil), s.msgs...)
}
