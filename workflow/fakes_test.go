package workflow_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// fakeDirectory is an in-memory tenant for the domain's unit tests; the
// real Graph behaviour is covered by the graph package against graphsim.
type fakeDirectory struct {
	mu      sync.Mutex
	users   map[string]*workflow.DirectoryUser // by id
	byMail  map[string]string
	emails  map[string]int // invitation mails per address
	invites int            // POST /invitations calls
	applied map[string]bool
	// failures to inject: op name → errors returned in order (then nil)
	fail map[string][]error
	// hidden makes a just-invited user 404 on User/Apply (replication lag).
	hidden map[string]bool
	// missing ids make Apply answer NotFound for that target
	missing   map[string]bool
	disabled  map[string]bool
	deleted   map[string]bool
	inviteGap time.Duration // time an Invite call takes
}

func newFakeDirectory() *fakeDirectory {
	return &fakeDirectory{users: map[string]*workflow.DirectoryUser{}, byMail: map[string]string{}, emails: map[string]int{},
		applied: map[string]bool{}, fail: map[string][]error{}, hidden: map[string]bool{}, missing: map[string]bool{},
		disabled: map[string]bool{}, deleted: map[string]bool{}}
}

func (f *fakeDirectory) injected(op string) error {
	if errs := f.fail[op]; len(errs) > 0 {
		f.fail[op] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeDirectory) Invite(ctx context.Context, inv workflow.Invitation) (workflow.InviteResult, error) {
	time.Sleep(f.inviteGap)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("invite"); err != nil {
		return workflow.InviteResult{}, err
	}
	f.invites++
	id, ok := f.byMail[inv.Email]
	if !ok {
		id = fmt.Sprintf("guest-%d", len(f.users)+1)
		f.users[id] = &workflow.DirectoryUser{ID: id, Mail: inv.Email, UserType: inv.UserType, ExternalUserState: workflow.StatePendingAcceptance}
		f.byMail[inv.Email] = id
	}
	if inv.SendMessage {
		f.emails[inv.Email]++
	}
	return workflow.InviteResult{GuestID: id, Status: workflow.StatePendingAcceptance}, nil
}

func (f *fakeDirectory) FindUserByMail(ctx context.Context, email string) (workflow.DirectoryUser, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("find"); err != nil {
		return workflow.DirectoryUser{}, false, err
	}
	id, ok := f.byMail[email]
	if !ok || f.hidden[id] {
		return workflow.DirectoryUser{}, false, nil
	}
	return *f.users[id], true, nil
}

func (f *fakeDirectory) User(ctx context.Context, id string) (workflow.DirectoryUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("user"); err != nil {
		return workflow.DirectoryUser{}, err
	}
	u, ok := f.users[id]
	if !ok || f.hidden[id] || f.deleted[id] {
		return workflow.DirectoryUser{}, &workflow.NotFoundError{Op: "get user", Err: fmt.Errorf("user %s", id)}
	}
	return *u, nil
}

func (f *fakeDirectory) Apply(ctx context.Context, guestID string, changes []workflow.Change) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(changes))
	for i, c := range changes {
		switch {
		case f.hidden[guestID]:
			errs[i] = &workflow.NotFoundError{Op: string(c.Kind), Err: fmt.Errorf("directory object %s", guestID)}
		case f.missing[c.ID]:
			errs[i] = &workflow.NotFoundError{Op: string(c.Kind), Err: fmt.Errorf("%s %s", c.Kind, c.ID)}
		default:
			if err := f.injected("apply:" + c.Key()); err != nil {
				errs[i] = err
				continue
			}
			f.applied[guestID+" "+c.Key()] = true
		}
	}
	return errs
}

func (f *fakeDirectory) SetAccountEnabled(ctx context.Context, id string, enabled bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disabled[id] = !enabled
	return nil
}

func (f *fakeDirectory) DeleteUser(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted[id] = true
	return nil
}

func (f *fakeDirectory) accept(email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[f.byMail[email]].ExternalUserState = workflow.StateAccepted
}

func (f *fakeDirectory) counts(email string) (invites, emails int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.invites, f.emails[email]
}

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
// Service Bus duplicate detection.
type fakeScheduler struct {
	mu   sync.Mutex
	msgs []scheduled
	seen map[string]bool
	err  error
}

func (s *fakeScheduler) Schedule(ctx context.Context, m workflow.Message, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[m.ID] {
		s.seen[m.ID] = true
		s.msgs = append(s.msgs, scheduled{m, at})
	}
	return nil
}

func (s *fakeScheduler) all() []scheduled {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]scheduled(nil), s.msgs...)
}

// clock is a settable Clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
