package graph

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t"}, nil
}

func TestNewValidatesOptions(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		wantErr string // empty: New must succeed
	}{
		{"anonymous on loopback ipv4", Options{BaseURL: "http://127.0.0.1:8080/v1.0"}, ""},
		{"anonymous on other loopback ipv4", Options{BaseURL: "http://127.3.4.5:8080/v1.0"}, ""},
		{"anonymous on localhost", Options{BaseURL: "http://localhost:8080/v1.0"}, ""},
		{"anonymous on ipv6 loopback", Options{BaseURL: "http://[::1]:8080/v1.0"}, ""},
		{"plain http on lookalike host", Options{BaseURL: "http://localhost.evil.example/v1.0"}, "plain http is allowed only for loopback"},
		{"plain http on private address", Options{BaseURL: "http://10.0.0.5/v1.0"}, "plain http is allowed only for loopback"},
		{"plain http remote", Options{BaseURL: "http://graph.microsoft.com/v1.0", Credential: staticToken{}}, "plain http is allowed only for loopback"},
		{"relative url", Options{BaseURL: "/v1.0"}, "base URL must be an absolute"},
		{"other scheme", Options{BaseURL: "ftp://graph.microsoft.com/v1.0"}, "base URL must be an absolute"},
		{"query in url", Options{BaseURL: "https://graph.microsoft.com/v1.0?x=1"}, "must not carry a query"},
		{"too many retries", Options{RequestRetries: 11, Credential: staticToken{}}, "RequestRetries must be at most 10"},
		{"credential on real graph", Options{Credential: staticToken{}}, ""},
		{"credential on loopback", Options{BaseURL: "http://127.0.0.1:1/v1.0", Credential: staticToken{}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Logger = quiet
			d, err := New(context.Background(), tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if d.BaseURL() == "" {
					t.Fatal("empty base URL")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o, u, err := Options{Credential: staticToken{}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.BaseURL != DefaultBaseURL || u.Host != "graph.microsoft.com" {
		t.Fatalf("defaults: base %q host %q", o.BaseURL, u.Host)
	}
	if o.BatchConcurrency != 4 || o.ItemMaxAttempts != 4 || o.RequestRetries != 3 || o.Logger == nil {
		t.Fatalf("defaults: %+v", o)
	}
}

var quiet = slog.New(slog.DiscardHandler)
