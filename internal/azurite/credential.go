package azurite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Credential is an azcore.TokenCredential standing in for managed
// identity against an Azurite started with Options.OAuth: it issues
// unsigned JWTs with the claims Azurite checks (issuer, audience,
// lifetime). It records the scopes it was asked for.
type Credential struct {
	// Audience of the tokens; "https://storage.azure.com" when empty.
	Audience string
	// Expired makes every token already expired, to prove Azurite checks.
	Expired bool

	mu     sync.Mutex
	scopes [][]string
}

var _ azcore.TokenCredential = (*Credential)(nil)

// GetToken returns a token for the storage audience.
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	c.scopes = append(c.scopes, opts.Scopes)
	c.mu.Unlock()
	aud := c.Audience
	if aud == "" {
		aud = "https://storage.azure.com"
	}
	now := time.Now()
	exp := now.Add(time.Hour)
	if c.Expired {
		exp = now.Add(-time.Minute)
	}
	seg := func(v any) string {
		b, _ := json.Marshal(v) // maps of strings and numbers always marshal
		return base64.RawURLEncoding.EncodeToString(b)
	}
	token := seg(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + seg(map[string]any{
		"aud": aud,
		"iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000001/",
		"iat": now.Add(-2 * time.Minute).Unix(),
		"nbf": now.Add(-2 * time.Minute).Unix(),
		"exp": exp.Unix(),
		"oid": "11111111-1111-1111-1111-111111111111",
	}) + "." + base64.RawURLEncoding.EncodeToString([]byte("unsigned"))
	// Tell the SDK the real (future) expiry so that it caches the token.
	return azcore.AccessToken{Token: token, ExpiresOn: now.Add(time.Hour)}, nil
}

// Scopes returns the scopes of every token request so far.
func (c *Credential) Scopes() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]string(nil), c.scopes...)
}
