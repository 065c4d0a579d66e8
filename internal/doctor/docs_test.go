package doctor_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/internal/doctor"
	"github.com/b2b-onboarding/onboard/workflow"
)

// downTenant answers every Graph read with an error.
type downTenant struct{ err error }

func (d downTenant) AllowInvitesFrom(context.Context) (string, error)    { return "", d.err }
func (d downTenant) PrivacyStatementURL(context.Context) (string, error) { return "", d.err }
func (d downTenant) GroupKind(context.Context, string) (workflow.GroupKind, error) {
	return "", d.err
}
func (d downTenant) ObjectExists(context.Context, workflow.ChangeKind, string) (bool, error) {
	return false, d.err
}
func (d downTenant) ServicePrincipal(context.Context, string) (graph.ServicePrincipalState, error) {
	return graph.ServicePrincipalState{}, d.err
}
func (d downTenant) DefaultInboundB2B(context.Context) (string, bool, error) { return "", false, d.err }

type downQueue struct{ err error }

func (d downQueue) Properties(context.Context) (doctor.QueueProperties, error) {
	return doctor.QueueProperties{}, d.err
}
func (d downQueue) CanSend(context.Context) error    { return d.err }
func (d downQueue) CanReceive(context.Context) error { return d.err }

type records []workflow.Record

func (r records) List(context.Context) ([]workflow.Record, error) { return r, nil }

// TestEveryCheckDocumented: every check doctor can run (all sources set)
// has a row in docs/deploy.md's table with what ✗ means and its fix, and
// "graph access" (which stops doctor before the table) has one too.
func TestEveryCheckDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	err = errors.New("down")
	rep := doctor.Checker{Tenant: downTenant{err}, Permissions: doctor.AppGrants{}, Queue: downQueue{err}, QueueAccess: downQueue{err},
		Table: probe{err}, Records: records{{Key: "a@b.c", Spec: workflow.Spec{ManagerID: "m"}, UpdatedAt: time.Now()}},
		Groups: []string{"g"}, Roles: []string{"r"}, Apps: []string{"s/a"}}.Run(context.Background())
	names := map[string]bool{"graph access": true}
	for _, r := range rep.Results {
		if r.Status != doctor.OK && r.Fix == "" {
			t.Errorf("%s: %s without a fix", r.Check, r.Status)
		}
		name := r.Check // "group <id>" and the like are documented as "group `<id>`"
		if first, _, _ := strings.Cut(r.Check, " "); first == "group" || first == "role" || first == "app" {
			name = first
		}
		names[name] = true
	}
	if len(names) < 12 {
		t.Fatalf("only %d checks ran: %v", len(names), names)
	}
	for name := range names {
		row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(name) + `( ` + "`" + `<[a-z]+>` + "`" + `)? \| ([^|]+) \| ([^|]+) \|$`)
		m := row.FindStringSubmatch(string(doc))
		if m == nil || strings.TrimSpace(m[2]) == "" || strings.TrimSpace(m[3]) == "" {
			t.Errorf("docs/deploy.md has no row for %q with what ✗ means and a fix", name)
		}
	}
}
