package servicebus

import (
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// Connection says how to reach a Service Bus namespace: with a connection
// string, or with the namespace's host name and a credential (the app's
// one identity, built by the wiring). Setting names the setting it came
// from, for errors.
type Connection struct {
	Setting                 string
	ConnectionString        string
	FullyQualifiedNamespace string
	Credential              azcore.TokenCredential
}

// NewClient creates the azservicebus client for conn. It does not connect:
// azservicebus opens the AMQP connection on first use, so a wrong namespace
// or missing role surfaces on the first send or receive (as *Error).
// Errors name the setting and never echo a connection string's key.
func NewClient(conn Connection) (*azservicebus.Client, error) {
	return newClient(conn, nil)
}

func newClient(conn Connection, opts *azservicebus.ClientOptions) (*azservicebus.Client, error) {
	switch {
	case conn.ConnectionString != "" && conn.FullyQualifiedNamespace != "":
		return nil, fmt.Errorf("%s: both a connection string and a namespace are set", conn.Setting)
	case conn.ConnectionString != "":
		client, err := azservicebus.NewClientFromConnectionString(conn.ConnectionString, opts)
		if err != nil {
			// The SDK's parse errors name keys, not values; keep ours anyway.
			return nil, fmt.Errorf("%s: service bus client from connection string: %w", conn.Setting, err)
		}
		return client, nil
	case conn.FullyQualifiedNamespace != "":
		if conn.Credential == nil {
			return nil, errors.New(conn.Setting + "__fullyQualifiedNamespace: an identity-based connection needs a credential")
		}
		client, err := azservicebus.NewClient(conn.FullyQualifiedNamespace, conn.Credential, opts)
		if err != nil {
			return nil, fmt.Errorf("%s__fullyQualifiedNamespace: service bus client: %w", conn.Setting, err)
		}
		return client, nil
	default:
		return nil, fmt.Errorf("%s: no connection string and no namespace configured", conn.Setting)
	}
}
