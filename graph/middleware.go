package graph

import (
	"net/http"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/b2b-onboarding/onboard/internal/httpx"
)

// middlewares returns the HTTP pipeline in a fixed order, outermost first.
//
// kiota-http-go builds its default list from a map, so its order varies from
// one client to the next (reference §13). We list the handlers ourselves and
// leave request compression out entirely: our bodies are a few KB at most,
// and with the compression handler anywhere near the retry handler a retried
// request can go out as plain JSON still labelled Content-Encoding: gzip
// (kiota-http-go#183). In v1.5.4 the header map is shared between the
// request copies the handlers make with WithContext, so even the "inside
// retry" order is not safe; "before retry" only works since #184. Off is the
// one order with no such failure mode.
func middlewares(o Options, pacer *invitePacer) []khttp.Middleware {
	clientOpts := msgraphsdk.GetDefaultClientOptions()
	mws := []khttp.Middleware{
		msgraphgocore.NewGraphTelemetryHandler(&clientOpts),       // SdkVersion, client-request-id
		khttp.NewRetryHandlerWithOptions(*retryOptions(o, false)), // 429/503/504 of whole requests, Retry-After wins
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
	if pacer != nil {
		mws = append(mws, throttleObserver{pacer}) // sees each attempt the retry handler makes
	}
	return mws
}

// retryOptions are the SDK retry handler's options: up to
// Options.RequestRetries re-sends of a request answered 429, 503 or 504.
// A Retry-After beyond the retry budget (an invitation throttle window,
// say) is not waited out in-process: the error carries it and the
// workflow reschedules the event instead. With only429, a request is
// re-sent only after a 429, the one answer that proves nothing happened:
// POST /invitations sends mail, and a 503 or 504 may come after Graph
// already sent it.
func retryOptions(o Options, only429 bool) *khttp.RetryHandlerOptions {
	retries := o.RequestRetries
	return &khttp.RetryHandlerOptions{
		MaxRetries:   max(retries, 1),
		DelaySeconds: int(o.RetryDelay / time.Second),
		ShouldRetry: func(waited time.Duration, _ int, _ *http.Request, resp *http.Response) bool {
			if only429 && resp.StatusCode != http.StatusTooManyRequests {
				return false
			}
			return retries > 0 && waited+httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()) <= o.ItemRetryBudget
		},
	}
}

// newHTTPClient wraps the caller's transport (or Go's default) with the
// pipeline. Redirects are left to the redirect handler.
func newHTTPClient(o Options, pacer *invitePacer) *http.Client {
	var parent http.RoundTripper
	timeout := 100 * time.Second
	if o.HTTPClient != nil {
		parent = o.HTTPClient.Transport
		if o.HTTPClient.Timeout > 0 {
			timeout = o.HTTPClient.Timeout
		}
	}
	if parent == nil {
		parent = khttp.GetDefaultTransport()
	}
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent, middlewares(o, pacer)...),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
