package workflow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
	"github.com/b2b-onboarding/onboard/workflow/directorytest"
)

// The fake Directory the workflow's tests run on meets the same contract
// as graph.Directory over graphsim (graph/contract_test.go).
func TestFakeDirectoryContract(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, tenant directorytest.Tenant, now func() time.Time) directorytest.Target {
		f := newFakeDirectory(now)
		f.objects, f.appRoles = map[string]bool{}, map[string][]string{}
		for _, id := range append(append([]string{}, tenant.Groups...), tenant.Roles...) {
			f.objects[id] = true
		}
		for _, a := range tenant.Apps {
			f.objects[a.ID] = true
			f.appRoles[a.ID] = a.AppRoles
		}
		for _, u := range tenant.Users {
			addrs := append([]string{u.UserPrincipalName}, u.OtherMails...)
			for _, p := range u.ProxyAddresses {
				if proto, a, ok := strings.Cut(p, ":"); ok && strings.EqualFold(proto, "smtp") {
					addrs = append(addrs, a)
				}
			}
			f.seed(workflow.DirectoryUser{ID: u.ID, Mail: u.Mail, UserType: u.UserType, ExternalUserState: u.ExternalUserState,
				CreationType: u.CreationType, CreatedAt: u.CreatedAt}, addrs...)
			if u.SignInEmail != "" {
				f.signIns[strings.ToLower(u.SignInEmail)] = u.ID
			}
		}
		locked := func(fn func()) {
			f.mu.Lock()
			defer f.mu.Unlock()
			fn()
		}
		return directorytest.Target{
			Directory: f,
			Emails:    func(addr string) int { _, n := f.counts(addr); return n },
			Applied: func(id string, c workflow.Change) (ok bool) {
				locked(func() { ok = f.applied[id+" "+c.Key()] })
				return ok
			},
			AccountEnabled:    func(id string) (ok bool) { locked(func() { ok = !f.disabled[id] }); return ok },
			SetReplicationLag: func(d time.Duration) { locked(func() { f.lag = d }) },
			SetThrottled: func(on bool) {
				locked(func() {
					f.throttle = 0
					if on {
						f.throttle = time.Minute
					}
				})
			},
			SetDropAfter: func(on bool) { locked(func() { f.dropAfter = on }) },
		}
	})
}
