package doctor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// graphScope is the scope of an app-only Microsoft Graph token.
const graphScope = "https://graph.microsoft.com/.default"

// AppSPFromToken obtains a Graph token with the configured identity and
// returns its oid claim: the object id of the app's service principal (for
// a managed identity, its principal id). Obtaining the token is itself the
// "graph access" check.
func AppSPFromToken(ctx context.Context, cred azcore.TokenCredential) (string, error) {
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphScope}})
	if err != nil {
		return "", fmt.Errorf("obtain a Graph token: %w", err)
	}
	parts := strings.Split(tok.Token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("the Graph token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("decode the Graph token: %w", err)
	}
	var claims struct {
		OID string `json:"oid"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.OID == "" {
		return "", fmt.Errorf("the Graph token has no oid claim")
	}
	return claims.OID, nil
}
