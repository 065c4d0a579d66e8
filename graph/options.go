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

// MaxBatchItems is Graph's limit of requests in one $batch.
const MaxBatchItems = 20

// Options configure New. The zero value talks to the global Graph cloud
// without authentication, which Graph answers with 401: give Credential.
// Which identity the app uses (GRAPH_AUTH, AZURE_CLIENT_ID) is decided by
// config and the wiring, not here.
type Options struct {
	// BaseURL is the Graph root including the version segment; default
	// DefaultBaseURL. Plain http is accepted only for loopback hosts, so a
	// token never travels in the clear.
	BaseURL string
	// Credential gets the bearer tokens (the Graph identity's credential,
	// built by the wiring). Nil sends no Authorization header (a local simulator
	// such as graphsim).
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
	// InviteLimit is how many POST /invitations this Directory sends in
	// any InviteWindow (5 s), shared by every invocation using it; default
	// DefaultInviteLimit, negative disables pacing. Graph allows 150 per
	// tenant: with several instances each gets its share (docs/retries.md).
	// An invitation that would wait longer than ItemRetryBudget for its
	// turn (or for a 429's Retry-After) is not sent: Invite returns a
	// refused *workflow.TransientError carrying the wait.
	InviteLimit int
	// InviteWindow is the window InviteLimit counts in; default (and
	// Graph's) 5 s. Tests shorten it.
	InviteWindow time.Duration
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
	// HTTPClient, when set, supplies the transport under the middleware
	// pipeline and the overall timeout (default 100s).
	HTTPClient *http.Client
}

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, *url.URL, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return o, nil, fmt.Errorf("graph: base URL must be an absolute http(s) URL such as %s, got %q", DefaultBaseURL, o.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return o, nil, fmt.Errorf("graph: base URL must not carry a query or fragment, got %q", o.BaseURL)
	}
	if u.Scheme == "http" && !httpx.IsLoopbackHost(u.Hostname()) {
		return o, nil, fmt.Errorf("graph: base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost), got %q", o.BaseURL)
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
	if o.InviteLimit == 0 {
		o.InviteLimit = DefaultInviteLimit
	}
	if o.InviteWindow <= 0 {
		o.InviteWindow = GraphInviteWindow
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, u, nil
}
