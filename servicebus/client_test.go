package servicebus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

const testConnString = "Endpoint=sb://contoso-onboarding.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0LWtleQ=="

// staticToken is a credential that never calls out.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t"}, nil
}

// NewClient is lazy (no connection until first use), so it can be built
// here for both kinds of config without touching the network.
func TestNewClient(t *testing.T) {
	for _, conn := range []Connection{
		{Setting: "ServiceBusConnection", ConnectionString: testConnString},
		{Setting: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net", Credential: staticToken{}},
	} {
		client, err := NewClient(conn)
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := client.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		cancel()
	}
	for _, conn := range []Connection{
		{Setting: "ServiceBusConnection"},
		{Setting: "ServiceBusConnection", ConnectionString: testConnString, FullyQualifiedNamespace: "x.servicebus.windows.net"},
		{Setting: "ServiceBusConnection", FullyQualifiedNamespace: "x.servicebus.windows.net"}, // no credential
	} {
		_, err := NewClient(conn)
		if err == nil || !strings.Contains(err.Error(), "ServiceBusConnection") {
			t.Errorf("NewClient(%+v) error = %v, want one naming the setting", conn, err)
		}
		if err != nil && errors.Unwrap(err) != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("error leaks the key: %v", err)
		}
	}
}
