package doctor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus/admin"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/infra"
	"github.com/b2b-onboarding/onboard/internal/azurite"
	"github.com/b2b-onboarding/onboard/internal/doctor"
	"github.com/b2b-onboarding/onboard/servicebus"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestMain(m *testing.M) {
	code := m.Run()
	azurite.StopShared()
	os.Exit(code)
}

// fakeAdmin answers GetQueue as the administration client does: nil, nil
// for a queue that does not exist.
type fakeAdmin struct {
	props *admin.QueueProperties
	err   error
}

func (f fakeAdmin) GetQueue(_ context.Context, name string, _ *admin.GetQueueOptions) (*admin.GetQueueResponse, error) {
	if f.err != nil || f.props == nil {
		return nil, f.err
	}
	return &admin.GetQueueResponse{QueueName: name, QueueProperties: *f.props}, nil
}

func ptr[T any](v T) *T { return &v }

// deployed is the queue main.bicep creates, as the administration API
// returns it (ISO 8601 durations).
func deployed() *admin.QueueProperties {
	return &admin.QueueProperties{LockDuration: ptr("PT5M"), MaxDeliveryCount: ptr[int32](10), RequiresDuplicateDetection: ptr(true),
		DuplicateDetectionHistoryTimeWindow: ptr("P2D"), Status: ptr(admin.EntityStatusActive)}
}

// TestAzureQueueProperties: the Service Bus queue check against the
// properties the administration client returns, for the deployed queue
// and for each way a queue can differ from infra/queue.json.
func TestAzureQueueProperties(t *testing.T) {
	q, err := infra.Queue()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		admin  fakeAdmin
		status doctor.Status
		detail string
	}{
		{"deployed queue", fakeAdmin{props: deployed()}, doctor.OK, "duplicate detection 48h0m0s, max delivery 10, lock 5m0s"},
		{"duplicate detection off", fakeAdmin{props: func() *admin.QueueProperties { p := deployed(); p.RequiresDuplicateDetection = ptr(false); return p }()},
			doctor.Fail, "duplicate detection is off"},
		{"window shorter than RETRY_MAX_ELAPSED", fakeAdmin{props: func() *admin.QueueProperties {
			p := deployed()
			p.DuplicateDetectionHistoryTimeWindow = ptr("PT10M")
			return p
		}()},
			doctor.Warn, "duplicate detection window 10m0s is shorter than RETRY_MAX_ELAPSED 24h0m0s"},
		{"max delivery count", fakeAdmin{props: func() *admin.QueueProperties { p := deployed(); p.MaxDeliveryCount = ptr[int32](1); return p }()},
			doctor.Warn, "max delivery count 1, infra/queue.json says 10"},
		{"lock duration", fakeAdmin{props: func() *admin.QueueProperties { p := deployed(); p.LockDuration = ptr("PT30S"); return p }()},
			doctor.Warn, "lock duration 30s, infra/queue.json says 5m0s"},
		{"disabled", fakeAdmin{props: func() *admin.QueueProperties {
			p := deployed()
			p.Status = ptr(admin.EntityStatusSendDisabled)
			return p
		}()},
			doctor.Fail, "the queue's status is SendDisabled"},
		{"no such queue", fakeAdmin{}, doctor.Fail, `namespace sb-x.servicebus.windows.net: queue "onboarding": queue not found`},
		{"no Manage right", fakeAdmin{err: &azcore.ResponseError{StatusCode: http.StatusUnauthorized}}, doctor.Warn, "cannot read the queue's properties"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := &servicebus.QueueCheck{Namespace: "sb-x.servicebus.windows.net", Queue: "onboarding", Admin: tc.admin}
			rep := doctor.Checker{Queue: doctor.AzureQueue{Check: check}, DuplicateWindowAtLeast: 24 * time.Hour,
				MaxDeliveryCount: q.MaxDeliveryCount, LockDuration: q.LockDuration}.Run(context.Background())
			r := find(t, rep, "service bus queue")
			if r.Status != tc.status || !strings.Contains(r.Detail, tc.detail) || (r.Status != doctor.OK) != (r.Fix != "") {
				t.Fatalf("%+v, want %s with %q", r, tc.status, tc.detail)
			}
		})
	}
}

// TestServiceBusUnresolvableNamespace: through the real azservicebus
// clients, a namespace that does not resolve fails both Service Bus
// checks within seconds, each naming the namespace.
func TestServiceBusUnresolvableNamespace(t *testing.T) {
	const ns = "sb-doctor-none.servicebus.invalid"
	conn := servicebus.Connection{Setting: "ServiceBusConnection", ConnectionString: "Endpoint=sb://" + ns + "/;SharedAccessKeyName=k;SharedAccessKey=eA=="}
	q, access, closeQ, err := doctor.QueueFor(conn, "onboarding")
	if err != nil {
		t.Fatal(err)
	}
	defer closeQ()
	start := time.Now()
	rep := doctor.Checker{Queue: q, QueueAccess: access}.Run(context.Background())
	took := time.Since(start)
	t.Logf("both Service Bus checks failed after %s", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Errorf("took %s, want a few seconds", took)
	}
	for _, name := range []string{"service bus queue", "service bus access"} {
		if r := find(t, rep, name); r.Status != doctor.Fail || !strings.Contains(r.Detail, "namespace "+ns) || r.Fix == "" {
			t.Errorf("%+v", r)
		}
	}
}

// TestAppsExistAndEnabled: every POLICY_ALLOWED_APPS service principal and
// app role is read through msgraph-sdk-go from graphsim: it must exist and
// be enabled.
func TestAppsExistAndEnabled(t *testing.T) {
	portalReader := graphsim.SampleSPPartnerPortal + "/" + graphsim.SampleAppRolePortalReader
	cases := []struct {
		name   string
		entry  string
		breakT func(*graphsim.Server)
		detail string
	}{
		{"service principal disabled", graphsim.SampleSPPartnerPortal,
			func(s *graphsim.Server) { s.SetServicePrincipalEnabled(graphsim.SampleSPPartnerPortal, false) }, "is disabled (accountEnabled=false)"},
		{"app role disabled", portalReader,
			func(s *graphsim.Server) {
				s.SetAppRoleEnabled(graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalReader, false)
			}, "is disabled (isEnabled=false)"},
		{"app role unknown", graphsim.SampleSPPartnerPortal + "/a5501e00-0000-4000-8000-0000000000ff", nil, "does not exist on service principal"},
		{"service principal unknown", "5e7c0000-0000-4000-8000-0000000000ff/*", nil, "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, d := tenant(t)
			c := doctor.Checker{Tenant: d, Apps: []string{tc.entry, "*/*"}}
			if tc.breakT != nil {
				if r := find(t, c.Run(context.Background()), "app "+tc.entry); r.Status != doctor.OK {
					t.Fatalf("passing tenant: %+v", r)
				}
				tc.breakT(sim)
			}
			rep := c.Run(context.Background())
			if r := find(t, rep, "app "+tc.entry); r.Status != doctor.Fail || !strings.Contains(r.Detail, tc.detail) || r.Fix == "" {
				t.Fatalf("%+v, want fail with %q", r, tc.detail)
			}
			for _, r := range rep.Results {
				if r.Check == "app */*" {
					t.Errorf("the */* entry was checked: %+v", r)
				}
			}
		})
	}
}

// TestManagerIDs: the manager ids of the last 30 days' onboardings must
// exist; an older record's is not read.
func TestManagerIDs(t *testing.T) {
	_, d := tenant(t)
	const gone = "5a1e0000-0000-4000-8000-0000000000ff"
	save := func(s workflow.Store, key, manager string, age time.Duration) {
		rec := workflow.Record{Key: key, Spec: workflow.Spec{Email: key, ManagerID: manager}, UpdatedAt: time.Now().Add(-age)}
		if err := s.Save(context.Background(), &rec); err != nil {
			t.Fatal(err)
		}
	}
	s := store.NewMemory()
	save(s, "ada@fabrikam.com", graphsim.SampleUserMegan, time.Hour)
	save(s, "old@fabrikam.com", gone, 40*24*time.Hour)
	save(s, "none@fabrikam.com", "", time.Hour)
	if r := find(t, doctor.Checker{Tenant: d, Records: s}.Run(context.Background()), "manager ids"); r.Status != doctor.OK ||
		!strings.Contains(r.Detail, "the 1 manager ids") {
		t.Fatalf("passing: %+v", r)
	}
	save(s, "bob@fabrikam.com", gone, time.Minute)
	r := find(t, doctor.Checker{Tenant: d, Records: s}.Run(context.Background()), "manager ids")
	if r.Status != doctor.Fail || !strings.Contains(r.Detail, gone+" (onboarding bob@fabrikam.com)") || r.Fix == "" {
		t.Fatalf("failing: %+v", r)
	}
}

// TestRunChecksStateTable: `onboard doctor`'s Run with STATE_STORE=tables
// probes the configured table on Azurite (and lists its records for the
// manager check); an unreachable table service fails the check.
func TestRunChecksStateTable(t *testing.T) {
	sim, err := graphsim.New(graphsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	base := map[string]string{
		"GRAPH_BASE_URL": srv.URL + "/v1.0", "GRAPH_AUTH": "none", "SCHEDULER": "memory", "STATE_STORE": "tables",
		"STATE_TABLE_NAME": "doctorprobe",
	}
	run := func(conn string) doctor.Report {
		m := map[string]string{"STATE_TABLE_CONNECTION": conn}
		for k, v := range base {
			m[k] = v
		}
		cfg, err := config.Load(config.FromMap(m))
		if err != nil {
			t.Fatal(err)
		}
		rep, _ := doctor.Run(context.Background(), cfg, doctor.Options{AppSP: graphsim.SampleSPOnboarding}, &strings.Builder{})
		return rep
	}
	rep := run(azurite.Shared(t).ConnectionString())
	if r := find(t, rep, "state table"); r.Status != doctor.OK || !strings.Contains(r.Detail, "probe row written and deleted") {
		t.Fatalf("azurite: %+v", r)
	}
	if r := find(t, rep, "manager ids"); r.Status != doctor.OK {
		t.Fatalf("azurite: %+v", r)
	}
	rep = run("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;")
	if r := find(t, rep, "state table"); r.Status != doctor.Fail || r.Fix == "" {
		t.Fatalf("unreachable: %+v", r)
	}
}

// TestCrossTenantAccess: the cross-tenant access default read through
// msgraph-sdk-go from graphsim: allowing passes (naming the domain list it
// cannot read), blocking warns, and an unreadable policy warns.
func TestCrossTenantAccess(t *testing.T) {
	sim, d := tenant(t)
	c := doctor.Checker{Tenant: d}
	if r := find(t, c.Run(context.Background()), "cross-tenant access"); r.Status != doctor.OK || !strings.Contains(r.Detail, "allow/deny list is not readable") {
		t.Fatalf("service default: %+v", r)
	}
	sim.SetDefaultB2BInbound(false)
	if r := find(t, c.Run(context.Background()), "cross-tenant access"); r.Status != doctor.Warn || !strings.Contains(r.Detail, "blocks inbound B2B collaboration") || r.Fix == "" {
		t.Fatalf("blocked: %+v", r)
	}
	if err := sim.SetKnobs(graphsim.Knobs{Deny: []string{"GET /policies/crossTenantAccessPolicy/default"}}); err != nil {
		t.Fatal(err)
	}
	if r := find(t, c.Run(context.Background()), "cross-tenant access"); r.Status != doctor.Warn || !strings.Contains(r.Detail, "cannot read") {
		t.Fatalf("denied: %+v", r)
	}
}
