package graphsim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

func init() {
	// as the reference page §8 says: without this, batch item errors are
	// plain ApiErrors.
	msgraphgocore.RegisterError(msgraphgocore.BatchRequestErrorRegistryKey, abstractions.ErrorMappings{
		"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
	})
}

// fakeClock is a settable clock for the simulator.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a simulator behind an httptest server and a real Graph SDK client.
type env struct {
	sim     *graphsim.Server
	srv     *httptest.Server
	adapter *msgraphsdk.GraphRequestAdapter
	client  *msgraphsdk.GraphServiceClient
	clock   *fakeClock

	mu        sync.Mutex
	encodings []string // Content-Encoding of each request with a body
}

func (e *env) gzipped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, v := range e.encodings {
		if v == "gzip" {
			n++
		}
	}
	return n
}

type clientOptions struct {
	retries     int  // 0: the SDK does not retry
	noCompress  bool // default: gzip request bodies as the SDK does
	auth        authentication.AuthenticationProvider
	lateBaseURL bool // SetBaseUrl after building the client: builders keep graph.microsoft.com
	// compressInsideRetry puts the compression handler after (inside) the
	// retry handler. With kiota-http-go v1.5.4 that order resends a retried
	// body uncompressed but still labelled gzip (kiota-http-go#183).
	compressInsideRetry bool
}

// newEnv starts graphsim (with a fake clock unless cfg.Now is set) and a
// Graph client pointed at it, built as in the reference page §11 with the
// middleware in a fixed order (compression inside retry).
func newEnv(t *testing.T, cfg graphsim.Config, co clientOptions) *env {
	t.Helper()
	e := &env{}
	if cfg.Now == nil {
		e.clock = newFakeClock()
		cfg.Now = e.clock.Now
	}
	sim, err := graphsim.New(cfg)
	if err != nil {
		t.Fatalf("graphsim.New: %v", err)
	}
	e.sim = sim
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && r.Body != nil && r.Method != http.MethodGet {
			e.mu.Lock()
			e.encodings = append(e.encodings, r.Header.Get("Content-Encoding"))
			e.mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.adapter, e.client = newClient(t, e.srv.URL+"/v1.0", co)
	return e
}

func newClient(t *testing.T, baseURL string, co clientOptions) (*msgraphsdk.GraphRequestAdapter, *msgraphsdk.GraphServiceClient) {
	t.Helper()
	opts := msgraphsdk.GetDefaultClientOptions()
	retry := &khttp.RetryHandlerOptions{MaxRetries: co.retries, DelaySeconds: 1,
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return co.retries > 0 }}
	compress := khttp.NewCompressionHandlerWithOptions(khttp.NewCompressionOptions(!co.noCompress))
	mw := []khttp.Middleware{msgraphgocore.NewGraphTelemetryHandler(&opts)}
	if co.compressInsideRetry {
		mw = append(mw, khttp.NewRetryHandlerWithOptions(*retry), compress)
	} else {
		mw = append(mw, compress, khttp.NewRetryHandlerWithOptions(*retry))
	}
	mw = append(mw, khttp.NewRedirectHandler(), khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(), khttp.NewHeadersInspectionHandler())
	httpClient := msgraphgocore.GetDefaultClient(&opts, mw...)
	httpClient.Timeout = 20 * time.Second
	auth := co.auth
	if auth == nil {
		auth = &authentication.AnonymousAuthenticationProvider{}
	}
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	if co.lateBaseURL {
		client := msgraphsdk.NewGraphServiceClient(adapter)
		adapter.SetBaseUrl(baseURL)
		return adapter, client
	}
	adapter.SetBaseUrl(baseURL)
	return adapter, msgraphsdk.NewGraphServiceClient(adapter)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantODataError asserts err is an *odataerrors.ODataError with the status,
// code and (if not empty) a message containing msg.
func wantODataError(t *testing.T, err error, status int, code, msg string) *odataerrors.ODataError {
	t.Helper()
	if err == nil {
		t.Fatalf("want ODataError %d %s, got success", status, code)
	}
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("want *odataerrors.ODataError, got %T: %v", err, err)
	}
	if oe.ResponseStatusCode != status {
		t.Errorf("status = %d, want %d (%v)", oe.ResponseStatusCode, status, err)
	}
	main := oe.GetErrorEscaped()
	if main == nil || main.GetCode() == nil || main.GetMessage() == nil {
		t.Fatalf("error body lacks code or message: %v", err)
	}
	if *main.GetCode() != code {
		t.Errorf("code = %q, want %q (message %q)", *main.GetCode(), code, *main.GetMessage())
	}
	if msg != "" && !strings.Contains(*main.GetMessage(), msg) {
		t.Errorf("message = %q, want it to contain %q", *main.GetMessage(), msg)
	}
	if in := main.GetInnerError(); in == nil || in.GetRequestId() == nil || *in.GetRequestId() == "" || in.GetDate() == nil {
		t.Errorf("innerError lacks request-id or date: %+v", in)
	}
	return oe
}

func ptr[T any](v T) *T { return &v }

// invite sends POST /invitations through the SDK.
func invite(t *testing.T, e *env, email string, send bool) models.Invitationable {
	t.Helper()
	inv, err := e.client.Invitations().Post(ctx(t), newInvitation(email, send), nil)
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	return inv
}

func newInvitation(email string, send bool) models.Invitationable {
	inv := models.NewInvitation()
	inv.SetInvitedUserEmailAddress(ptr(email))
	inv.SetInviteRedirectUrl(ptr("https://myapps.microsoft.com"))
	inv.SetSendInvitationMessage(ptr(send))
	return inv
}
