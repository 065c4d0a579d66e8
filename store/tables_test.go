package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/b2b-onboarding/onboard/internal/azurite"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/store/storetest"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestMain(m *testing.M) {
	code := m.Run()
	azurite.StopShared()
	os.Exit(code)
}

var tableSeq atomic.Int64

// newTables returns a Tables store on a table of its own in the shared
// Azurite, deleted when the test ends.
func newTables(t *testing.T, cfg store.TablesConfig) *store.Tables {
	t.Helper()
	srv := azurite.Shared(t)
	if cfg.Table == "" {
		cfg.Table = fmt.Sprintf("t%dp%d", tableSeq.Add(1), os.Getpid())
	}
	cfg.ConnectionString = srv.ConnectionString()
	s, err := store.NewTables(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewTables: %v", err)
	}
	t.Cleanup(func() {
		svc, err := aztables.NewServiceClientFromConnectionString(srv.ConnectionString(), nil)
		if err == nil {
			svc.DeleteTable(t.Context(), cfg.Table, nil)
		}
	})
	return s
}

func TestTablesContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) workflow.Store { return newTables(t, store.TablesConfig{}) })
}

// TestTablesManagedIdentity runs the contract over the token path used
// with managed identity: ServiceURL + azcore.TokenCredential against an
// Azurite that checks bearer tokens over HTTPS.
func TestTablesManagedIdentity(t *testing.T) {
	srv := azurite.StartForTest(t, azurite.Options{OAuth: true})
	opts := &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: srv.HTTPClient()}}
	cred := &azurite.Credential{}
	t.Run("Contract", func(t *testing.T) { // returns when its parallel subtests are done
		storetest.Run(t, func(t *testing.T) workflow.Store {
			s, err := store.NewTables(t.Context(), store.TablesConfig{
				ServiceURL: srv.TableURL, Credential: cred, ClientOptions: opts,
				Table: fmt.Sprintf("mi%d", tableSeq.Add(1)),
			})
			if err != nil {
				t.Fatalf("NewTables with a token credential: %v", err)
			}
			return s
		})
	})
	for _, scopes := range cred.Scopes() {
		if !slices.Equal(scopes, []string{"https://storage.azure.com/.default"}) {
			t.Errorf("token requested for scopes %q, want the storage scope", scopes)
		}
	}
	if len(cred.Scopes()) == 0 {
		t.Error("the credential was never asked for a token")
	}

	// Azurite really checks the token: an expired one is refused.
	_, err := store.NewTables(t.Context(), store.TablesConfig{
		ServiceURL: srv.TableURL, Credential: &azurite.Credential{Expired: true}, ClientOptions: opts, Table: "expired",
	})
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
		t.Fatalf("NewTables with an expired token: err = %v, want a 403 *azcore.ResponseError", err)
	}
}

// TestTablesEntityLayout reads the raw entities to check what the doc
// promises humans and Table Storage: partitions, escaped RowKeys, plain
// columns, values in parts of at most 32,000 characters.
func TestTablesEntityLayout(t *testing.T) {
	srv := azurite.Shared(t)
	table := fmt.Sprintf("layout%d", tableSeq.Add(1))
	s := newTables(t, store.TablesConfig{Table: table})
	svc, err := aztables.NewServiceClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := svc.NewClient(table)
	entity := func(pk, rk string) map[string]any {
		t.Helper()
		resp, err := raw.GetEntity(t.Context(), pk, rk, nil)
		if err != nil {
			t.Fatalf("GetEntity(%s, %s): %v", pk, rk, err)
		}
		var m map[string]any
		if err := json.Unmarshal(resp.Value, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	rec := storetest.BigHistory("ünï+tag@fabrikam.com", 200<<10)
	rec.Spec.Email = rec.Key
	if err := s.Save(t.Context(), &rec); err != nil {
		t.Fatal(err)
	}
	e := entity("record", "~C3~BCn~C3~AF~2Btag@fabrikam.com")
	if e["Key"] != rec.Key || e["Email"] != rec.Key || e["Phase"] != "Provisioned" || e["GuestID"] != rec.GuestID {
		t.Errorf("plain columns = Key %v, Email %v, Phase %v, GuestID %v", e["Key"], e["Email"], e["Phase"], e["GuestID"])
	}
	parts, _ := e["ValueParts"].(float64)
	if parts < 7 {
		t.Fatalf("ValueParts = %v for a 200 KiB record, want at least 7", e["ValueParts"])
	}
	var joined strings.Builder
	for i := range int(parts) {
		name := "Value"
		if i > 0 {
			name += fmt.Sprint(i)
		}
		v, _ := e[name].(string)
		if len(v) == 0 || len(v) > 32000 {
			t.Errorf("%s is %d characters, want 1..32000", name, len(v))
		}
		joined.WriteString(v)
	}
	for _, c := range joined.String() {
		if c > 127 {
			t.Fatalf("stored JSON has non-ASCII %q; want \\u escapes", c)
		}
	}
	var back workflow.Record
	if err := json.Unmarshal([]byte(joined.String()), &back); err != nil || back.Key != rec.Key {
		t.Fatalf("stored parts do not join into the record: key %q, %v", back.Key, err)
	}

	// Shrinking replaces the entity: no stale parts stay behind.
	rec.History = nil
	if err := s.Save(t.Context(), &rec); err != nil {
		t.Fatal(err)
	}
	e = entity("record", "~C3~BCn~C3~AF~2Btag@fabrikam.com")
	if e["ValueParts"] != float64(1) || e["Value1"] != nil {
		t.Errorf("after shrinking: ValueParts = %v, Value1 present = %v", e["ValueParts"], e["Value1"] != nil)
	}

	f := workflow.Failure{MessageID: "ada@x.com/reminder/2#b?c", Key: "ada@x.com", EventType: "reminder-due", Reason: strings.Repeat("r", 5000)}
	if err := s.SaveFailure(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	e = entity("failure", "ada@x.com~2Freminder~2F2~23b~3Fc")
	if e["MessageId"] != f.MessageID || e["EventType"] != "reminder-due" || len(e["Reason"].(string)) > 1003 {
		t.Errorf("failure columns = MessageId %v, EventType %v, Reason of %d bytes", e["MessageId"], e["EventType"], len(e["Reason"].(string)))
	}
	if got, err := s.Failure(t.Context(), f.MessageID); err != nil || got.Reason != f.Reason {
		t.Errorf("the full reason is kept in the value: got %d bytes, %v", len(got.Reason), err)
	}
}

// TestTablesPaging: List follows continuation tokens across pages.
func TestTablesPaging(t *testing.T) {
	s := newTables(t, store.TablesConfig{PageSize: 3})
	var want []string
	for i := range 10 {
		rec := workflow.Record{Key: fmt.Sprintf("p%02d@x.com", 9-i)}
		if err := s.Save(t.Context(), &rec); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("p%02d@x.com", i))
	}
	for i := range 4 {
		if err := s.SaveFailure(t.Context(), workflow.Failure{MessageID: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List over pages of 3 = %q, want %q", got, want)
	}
}

// TestTablesExistingTable: a second NewTables on the same table (a
// restarted app) finds the table and its data.
func TestTablesExistingTable(t *testing.T) {
	table := fmt.Sprintf("again%d", tableSeq.Add(1))
	first := newTables(t, store.TablesConfig{Table: table})
	rec := workflow.Record{Key: "ada@x.com"}
	if err := first.Save(t.Context(), &rec); err != nil {
		t.Fatal(err)
	}
	second, err := store.NewTables(t.Context(), store.TablesConfig{ConnectionString: azurite.Shared(t).ConnectionString(), Table: table})
	if err != nil {
		t.Fatalf("NewTables on an existing table: %v", err)
	}
	got, err := second.Load(t.Context(), "ada@x.com")
	if err != nil || got.ETag != rec.ETag {
		t.Fatalf("Load through the second store = %q, %v; want ETag %q", got.ETag, err, rec.ETag)
	}
	if second.Table() != table {
		t.Errorf("Table() = %q, want %q", second.Table(), table)
	}
}

// redirect sends every request to the host of target, keeping the path:
// it lets UseDevelopmentStorage=true (fixed port 10002) reach the test's
// Azurite. Shared-key signatures cover the path, not the host.
type redirect struct {
	target *url.URL
	next   *http.Client
}

func (r redirect) Do(req *http.Request) (*http.Response, error) {
	req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	req.Host = r.target.Host
	return r.next.Do(req)
}

// TestTablesDevelopmentStorage: UseDevelopmentStorage=true means the
// well-known account, key and path on 127.0.0.1:10002.
func TestTablesDevelopmentStorage(t *testing.T) {
	srv := azurite.Shared(t)
	target, _ := url.Parse(srv.TableURL)
	var seen []string
	var mu sync.Mutex
	tr := transportFunc(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		seen = append(seen, req.URL.Host+req.URL.Path)
		mu.Unlock()
		return redirect{target: target, next: http.DefaultClient}.Do(req)
	})
	s, err := store.NewTables(t.Context(), store.TablesConfig{
		ConnectionString: "UseDevelopmentStorage=true",
		Table:            fmt.Sprintf("dev%d", tableSeq.Add(1)),
		ClientOptions:    &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: tr}},
	})
	if err != nil {
		t.Fatalf("NewTables(UseDevelopmentStorage=true): %v", err)
	}
	rec := workflow.Record{Key: "dev@x.com"}
	if err := s.Save(t.Context(), &rec); err != nil {
		t.Fatalf("Save through the development account: %v", err)
	}
	if len(seen) == 0 || !strings.HasPrefix(seen[0], "127.0.0.1:10002/devstoreaccount1/") {
		t.Fatalf("requests went to %q, want 127.0.0.1:10002/devstoreaccount1/...", seen)
	}
}

type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

func TestTablesConfigErrors(t *testing.T) {
	cred := &azurite.Credential{}
	cases := []struct {
		name string
		cfg  store.TablesConfig
		want string
	}{
		{"nothing", store.TablesConfig{}, "ConnectionString or ServiceURL with Credential is required"},
		{"both", store.TablesConfig{ConnectionString: "UseDevelopmentStorage=true", ServiceURL: "https://a.table.core.windows.net", Credential: cred}, "not both"},
		{"url without credential", store.TablesConfig{ServiceURL: "https://a.table.core.windows.net"}, "TablesConfig.Credential: required"},
		{"credential without url", store.TablesConfig{Credential: cred}, "TablesConfig.ServiceURL: required"},
		{"plain http with token", store.TablesConfig{ServiceURL: "http://a.table.core.windows.net", Credential: cred}, "must be https"},
		{"malformed connection string", store.TablesConfig{ConnectionString: "AccountName=a;AccountKey"}, "TablesConfig.ConnectionString"},
		{"no account key or SAS", store.TablesConfig{ConnectionString: "AccountName=a;EndpointSuffix=core.windows.net"}, "TablesConfig.ConnectionString"},
		{"short table", store.TablesConfig{ConnectionString: "UseDevelopmentStorage=true", Table: "ab"}, "TablesConfig.Table \"ab\": must be 3-63"},
		{"table with dash", store.TablesConfig{ConnectionString: "UseDevelopmentStorage=true", Table: "on-board"}, "must be 3-63 letters or digits"},
		{"table starting with digit", store.TablesConfig{ConnectionString: "UseDevelopmentStorage=true", Table: "1table"}, "starting with a letter"},
		{"long table", store.TablesConfig{ConnectionString: "UseDevelopmentStorage=true", Table: "t" + strings.Repeat("x", 63)}, "must be 3-63"},
		{"reserved table", store.TablesConfig{ConnectionString: "UseDevelopmentStorage=true", Table: "Tables"}, "reserved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := store.NewTables(t.Context(), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "Eby8vdM02") {
				t.Errorf("error leaks the account key: %v", err)
			}
		})
	}
}

// TestTablesErrorClassification covers answers Azurite cannot be made to
// give (throttling, outages, refusals): a scripted Table endpoint answers
// them to the real SDK, and the store must classify by status code.
func TestTablesErrorClassification(t *testing.T) {
	var status atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Tables") {
			w.Header().Set("x-ms-error-code", "TableAlreadyExists")
			w.WriteHeader(http.StatusConflict)
			return
		}
		code := int(status.Load())
		w.Header().Set("Retry-After", "7")
		w.Header().Set("x-ms-error-code", http.StatusText(code))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"odata.error":{"code":%q,"message":{"value":"scripted"}}}`, http.StatusText(code))
	}))
	defer ts.Close()
	noRetry := &aztables.ClientOptions{ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
	cs := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + azurite.AccountKey + ";TableEndpoint=" + ts.URL + "/devstoreaccount1;"
	s, err := store.NewTables(t.Context(), store.TablesConfig{ConnectionString: cs, ClientOptions: noRetry})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		status     int
		transient  bool
		retryAfter time.Duration
		sentinel   error
	}{
		{http.StatusTooManyRequests, true, 7 * time.Second, nil},
		{http.StatusServiceUnavailable, true, 7 * time.Second, nil},
		{http.StatusInternalServerError, true, 7 * time.Second, nil},
		{http.StatusForbidden, false, 0, nil},
		{http.StatusBadRequest, false, 0, nil},
		{http.StatusNotFound, false, 0, workflow.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			status.Store(int64(c.status))
			_, err := s.Load(t.Context(), "ada@x.com")
			var te *workflow.TransientError
			if got := errors.As(err, &te); got != c.transient {
				t.Fatalf("Load answered %d: transient = %v, want %v (err %v)", c.status, got, c.transient, err)
			}
			if c.transient && te.RetryAfter != c.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", te.RetryAfter, c.retryAfter)
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("err = %v, want %v", err, c.sentinel)
			}
			var re *azcore.ResponseError
			if c.sentinel == nil && (!errors.As(err, &re) || re.StatusCode != c.status) {
				t.Errorf("err = %v, want the *azcore.ResponseError (%d) kept in the chain", err, c.status)
			}
			if workflow.IsPermanent(err) {
				t.Errorf("a store failure must not be classified permanent: %v", err)
			}
		})
	}
	t.Run("no answer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cs := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + azurite.AccountKey + ";TableEndpoint=http://" + addr + "/devstoreaccount1;"
		_, err = store.NewTables(t.Context(), store.TablesConfig{ConnectionString: cs, ClientOptions: noRetry})
		var te *workflow.TransientError
		if !errors.As(err, &te) {
			t.Fatalf("NewTables against a closed port: err = %v, want TransientError", err)
		}
	})
}
