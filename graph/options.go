package graph

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/b2b-onboarding/onboard/internal/httpx"
)

// DefaultBaseURL is the Microsoft Graph v1.0 endpoint of the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Authentication modes accepted in Options.Auth (the GRAPH_AUTH setting).
const (
	// AuthManagedIdentity uses azidentity's ManagedIdentityCredential
	// (user-assigned when Options.ClientID is set). It is the default.
	AuthManagedIdentity = "managedidentity"
	// AuthDefault uses azidentity's DefaultAzureCredential (environment,
	// workload identity, managed identity, Azure CLI, ...).
	AuthDefault = "default"
	// AuthNone sends no Authorization header. Allowed only when the base URL
	// points at a loopback address (a local simulator such as graphsim).
	AuthNone = "none"
)

// MaxBatchItems is Graph's limit of requests in one $batch.
const MaxBatchItems = 20

// Options configure New. The zero value talks to the global Graph cloud with
// the managed identity of the host.
type Options struct {
	// BaseURL is the Graph root including the version segment; default
	// DefaultBaseURL. Plain http is accepted only for loopback hosts.
	BaseURL string
	// Auth is AuthManagedIdentity (default), AuthDefault or AuthNone.
	Auth string
	// ClientID selects a user-assigned managed identity (AuthManagedIdentity
	// only; DefaultAzureCredential reads AZURE_CLIENT_ID itself).
	ClientID string
	// Credential, when set, replaces the credential Auth would build (tests,
	// or callers with their own azcore.TokenCredential). Not allowed with AuthNone.
	Credential azcore.TokenCredential
	// BatchConcurrency bounds how many $batch requests Apply has in flight;
	// default 4.
	BatchConcurrency int
	// ItemMaxAttempts bounds how often Apply sends one batch item that Graph
	// answers with 429/503/504 (first attempt included); default 4.
	ItemMaxAttempts int
	// ItemRetryBudget bounds the time spent waiting to re-send throttled
	// requests and batch items; one whose Retry-After would exceed it is
	// returned as a *workflow.TransientError at once (carrying the
	// Retry-After), so the workflow reschedules rather than blocks. Default 30s.
	ItemRetryBudget time.Duration
	// RequestRetries is how often the SDK's retry handler re-sends a whole
	// request answered 429/503/504 (1..10; default 3; negative disables).
	RequestRetries int
	// RetryDelay is the retry handler's base back-off when Graph sends no
	// Retry-After (whole seconds, default 3s). Item retries use it too.
	RetryDelay time.Duration
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
	// HTTPClient, when set, supplies the transport under the middleware
	// pipeline and the overall timeout (default 100s).
	HTTPClient *http.Client
}

// withDefaults validates o and fills in the defaults. Errors name the
// setting (GRAPH_BASE_URL, GRAPH_AUTH) a user would change.
func (o Options) withDefaults() (Options, *url.URL, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return o, nil, fmt.Errorf("GRAPH_BASE_URL: must be an absolute http(s) URL such as %s, got %q", DefaultBaseURL, o.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return o, nil, fmt.Errorf("GRAPH_BASE_URL: must not carry a query or fragment, got %q", o.BaseURL)
	}
	loop := httpx.IsLoopbackHost(u.Hostname())
	if u.Scheme == "http" && !loop {
		return o, nil, fmt.Errorf("GRAPH_BASE_URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost), got %q", o.BaseURL)
	}
	if o.Auth == "" {
		o.Auth = AuthManagedIdentity
	}
	switch o.Auth {
	case AuthManagedIdentity, AuthDefault:
	case AuthNone:
		if !loop {
			return o, nil, fmt.Errorf("GRAPH_AUTH: %q is allowed only when GRAPH_BASE_URL is a loopback address (127.0.0.0/8, ::1, localhost), not %q", AuthNone, u.Host)
		}
		if o.Credential != nil {
			return o, nil, fmt.Errorf("GRAPH_AUTH: %q cannot be combined with an explicit credential", AuthNone)
		}
	default:
		return o, nil, fmt.Errorf("GRAPH_AUTH: must be one of %s, %s, %s, got %q", AuthManagedIdentity, AuthDefault, AuthNone, o.Auth)
	}
	if o.BatchConcurrency <= 0 {
		o.BatchConcurrency = 4
	}
	if o.ItemMaxAttempts <= 0 {
		o.ItemMaxAttempts = 4
	}
	if o.ItemRetryBudget <= 0 {
		o.ItemRetryBudget = 30 * time.Second
	}
	switch {
	case o.RequestRetries == 0:
		o.RequestRetries = 3
	case o.RequestRetries > 10:
		return o, nil, fmt.Errorf("graph options: RequestRetries must be at most 10, got %d", o.RequestRetries)
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 3 * time.Second
	}
	if o.RetryDelay < time.Second {
		o.RetryDelay = time.Second // the SDK retry handler counts whole seconds
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, u, nil
}
