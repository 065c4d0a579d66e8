package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestRetriedPostSurvivesThePipeline sends a POST that graphsim throttles
// once (429, Retry-After 1) through our pipeline and through the order the
// reference page recommends (compression inside retry). It records why
// middlewares() leaves request compression out: with kiota-http-go v1.5.4
// that order re-sends plain JSON labelled gzip (kiota-http-go#183), which
// Graph and graphsim reject with 400. (Compression outside retry, the order
// of kiota-http-go#184, is not asserted: it failed once in ~35 runs with
// "ContentLength=113 with Body length 0".)
func TestRetriedPostSurvivesThePipeline(t *testing.T) {
	retry := func() khttp.Middleware {
		return khttp.NewRetryHandlerWithOptions(khttp.RetryHandlerOptions{MaxRetries: 2, DelaySeconds: 1,
			ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return true }})
	}
	cases := []struct {
		name    string
		mw      []khttp.Middleware
		wantErr string
	}{
		{"ours: fixed order, no request compression", middlewares(Options{RequestRetries: 2, RetryDelay: time.Second, ItemRetryBudget: 30 * time.Second}, nil), ""},
		{"compression inside retry", []khttp.Middleware{retry(), khttp.NewCompressionHandler()}, "labelled Content-Encoding: gzip but is not gzip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := graphsim.New(graphsim.Config{Knobs: &graphsim.Knobs{InviteLimit: 1, InviteWindow: time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			hc := &http.Client{Transport: khttp.NewCustomTransport(tc.mw...)}
			adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
				&absauth.AnonymousAuthenticationProvider{}, nil, nil, hc)
			if err != nil {
				t.Fatal(err)
			}
			adapter.SetBaseUrl(srv.URL + "/v1.0")
			client := msgraphsdk.NewGraphServiceClient(adapter)
			invite := func(email string) error {
				inv := models.NewInvitation()
				redirect := "https://myapps.microsoft.com"
				inv.SetInvitedUserEmailAddress(&email)
				inv.SetInviteRedirectUrl(&redirect)
				_, err := client.Invitations().Post(context.Background(), inv, nil)
				return err
			}
			if err := invite("first@fabrikam.com"); err != nil {
				t.Fatal(err)
			}
			err = invite("second@fabrikam.com") // throttled once, then retried
			if sim.RequestCount("POST /invitations (throttled)") != 1 {
				t.Fatalf("throttled %d times, want 1", sim.RequestCount("POST /invitations (throttled)"))
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("retried POST failed: %v", describe(err))
				}
				return
			}
			if err == nil || !strings.Contains(describe(err), tc.wantErr) {
				t.Fatalf("got %v, want an error containing %q", describe(err), tc.wantErr)
			}
		})
	}
}

func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	if a, ok := apiErrorFromSDK(err); ok {
		return a.Error()
	}
	return err.Error()
}
