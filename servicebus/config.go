package servicebus

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// DefaultConnectionPrefix is the connection setting name the Service Bus
// trigger of OnboardingEvents uses ("connection" in its function.json).
const DefaultConnectionPrefix = "ServiceBusConnection"

// CredentialManagedIdentity is the only value the Functions host knows for
// the <prefix>__credential setting.
const CredentialManagedIdentity = "managedidentity"

// ConnConfig says how to reach the Service Bus namespace, read from the same
// app settings as the Functions trigger (functions-host-protocol.md §14):
// either ConnectionString (setting <prefix>) or identity-based
// FullyQualifiedNamespace (setting <prefix>__fullyQualifiedNamespace) with
// an optional managed identity choice. Exactly one of ConnectionString and
// FullyQualifiedNamespace is set in a config returned by ConnConfigFromEnv.
type ConnConfig struct {
	// Prefix is the connection setting name, for messages.
	Prefix string
	// ConnectionString is a SAS connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…).
	ConnectionString string
	// FullyQualifiedNamespace is <namespace>.servicebus.windows.net.
	FullyQualifiedNamespace string
	// Credential is "" or CredentialManagedIdentity.
	Credential string
	// ClientID selects a user-assigned managed identity.
	ClientID string
}

// ConnConfigFromEnv reads the connection settings for prefix (empty:
// DefaultConnectionPrefix) through getenv (os.Getenv, or a lookup in
// local.settings.json Values). Values are trimmed. Errors name the setting
// and the rule, and never echo a connection string's secret:
//   - neither <prefix> nor <prefix>__fullyQualifiedNamespace set;
//   - both set (ambiguous: which one did the operator mean?);
//   - <prefix>__credential or <prefix>__clientId set with a connection string;
//   - <prefix>__credential other than "managedidentity";
//   - a namespace that is not a bare host name, or a connection string
//     without Endpoint=sb://… or without a key name or signature.
func ConnConfigFromEnv(getenv func(string) string, prefix string) (ConnConfig, error) {
	if prefix == "" {
		prefix = DefaultConnectionPrefix
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var (
		csName   = prefix
		nsName   = prefix + "__fullyQualifiedNamespace"
		credName = prefix + "__credential"
		idName   = prefix + "__clientId"
	)
	cfg := ConnConfig{
		Prefix:                  prefix,
		ConnectionString:        get(csName),
		FullyQualifiedNamespace: get(nsName),
		Credential:              get(credName),
		ClientID:                get(idName),
	}
	switch {
	case cfg.ConnectionString == "" && cfg.FullyQualifiedNamespace == "":
		return ConnConfig{}, fmt.Errorf("%s or %s: one must be set (a connection string, or the namespace host name for an identity-based connection)", csName, nsName)
	case cfg.ConnectionString != "" && cfg.FullyQualifiedNamespace != "":
		return ConnConfig{}, fmt.Errorf("%s and %s: both are set; set only one (connection string or identity-based connection)", csName, nsName)
	}
	if cfg.ConnectionString != "" {
		if cfg.Credential != "" {
			return ConnConfig{}, fmt.Errorf("%s: only applies to an identity-based connection (%s), not to the connection string in %s", credName, nsName, csName)
		}
		if cfg.ClientID != "" {
			return ConnConfig{}, fmt.Errorf("%s: only applies to an identity-based connection (%s), not to the connection string in %s", idName, nsName, csName)
		}
		if err := checkConnectionString(cfg.ConnectionString); err != nil {
			return ConnConfig{}, fmt.Errorf("%s: %w", csName, err)
		}
		return cfg, nil
	}
	if cfg.Credential != "" {
		if !strings.EqualFold(cfg.Credential, CredentialManagedIdentity) {
			return ConnConfig{}, fmt.Errorf("%s: must be %q (or unset), got %q", credName, CredentialManagedIdentity, cfg.Credential)
		}
		cfg.Credential = CredentialManagedIdentity
	}
	if err := checkNamespace(cfg.FullyQualifiedNamespace); err != nil {
		return ConnConfig{}, fmt.Errorf("%s: %w", nsName, err)
	}
	return cfg, nil
}

// checkNamespace requires a bare host name such as
// contoso.servicebus.windows.net (what the Functions host expects).
func checkNamespace(ns string) error {
	if strings.ContainsAny(ns, ";=") {
		// Looks like a connection string: do not echo it, it may hold a key.
		return errors.New("must be a host name like <namespace>.servicebus.windows.net, not a connection string (put that in the connection setting itself)")
	}
	if strings.Contains(ns, "://") || strings.ContainsAny(ns, "/ ") {
		return fmt.Errorf("must be a host name like <namespace>.servicebus.windows.net (no scheme or path), got %q", ns)
	}
	if !strings.Contains(ns, ".") {
		return fmt.Errorf("must be the fully qualified host name like %s.servicebus.windows.net, got %q", ns, ns)
	}
	return nil
}

// checkConnectionString applies the rules azservicebus applies, with
// messages that never include the key.
func checkConnectionString(cs string) error {
	var endpoint string
	var hasKeyName, hasSignature bool
	for _, part := range strings.Split(cs, ";") {
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return errors.New("is not a connection string: expected key=value pairs separated by ';'")
		}
		switch {
		case strings.EqualFold(key, "Endpoint"):
			endpoint = value
		case strings.EqualFold(key, "SharedAccessKeyName"):
			hasKeyName = value != ""
		case strings.EqualFold(key, "SharedAccessSignature"):
			hasSignature = value != ""
		}
	}
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || u.Scheme != "sb" || u.Host == "" {
		return errors.New("connection string needs Endpoint=sb://<namespace>.servicebus.windows.net/")
	}
	if !hasKeyName && !hasSignature {
		return errors.New("connection string needs SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature")
	}
	return nil
}

// Identity reports how the client authenticates, for the start-up log
// (never the secret): "connection string (<host>)", "managed identity
// (<clientId|system-assigned>)" or "DefaultAzureCredential".
func (c ConnConfig) Identity() string {
	switch {
	case c.ConnectionString != "":
		host := "?"
		for _, part := range strings.Split(c.ConnectionString, ";") {
			if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(k, "Endpoint") {
				if u, err := url.Parse(v); err == nil {
					host = u.Host
				}
			}
		}
		return "connection string (" + host + ")"
	case c.ClientID != "":
		return "managed identity (client id " + c.ClientID + ")"
	case c.Credential == CredentialManagedIdentity:
		return "managed identity (system-assigned)"
	default:
		return "DefaultAzureCredential"
	}
}

// TokenCredential returns the credential for an identity-based config:
// a ManagedIdentityCredential when <prefix>__credential=managedidentity or
// a client id is set (user-assigned when ClientID is set), otherwise
// DefaultAzureCredential (environment, workload identity, managed identity,
// then developer sign-ins — the local-development fallback the Functions
// docs describe). It returns nil for a connection-string config.
func (c ConnConfig) TokenCredential() (azcore.TokenCredential, error) {
	if c.ConnectionString != "" {
		return nil, nil
	}
	if c.Credential == CredentialManagedIdentity || c.ClientID != "" {
		opts := &azidentity.ManagedIdentityCredentialOptions{}
		if c.ClientID != "" {
			opts.ID = azidentity.ClientID(c.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(opts)
		if err != nil {
			return nil, fmt.Errorf("%s: managed identity credential: %w", c.Prefix, err)
		}
		return cred, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: DefaultAzureCredential: %w", c.Prefix, err)
	}
	return cred, nil
}

// NewClient creates the azservicebus client for cfg. It does not connect:
// azservicebus opens the AMQP connection on first use, so a wrong namespace
// or missing role surfaces on the first send or receive (as *Error).
func NewClient(cfg ConnConfig) (*azservicebus.Client, error) {
	switch {
	case cfg.ConnectionString != "" && cfg.FullyQualifiedNamespace != "":
		return nil, fmt.Errorf("%s: both a connection string and a namespace are set", cfg.Prefix)
	case cfg.ConnectionString != "":
		client, err := azservicebus.NewClientFromConnectionString(cfg.ConnectionString, nil)
		if err != nil {
			// The SDK's parse errors name keys, not values; keep ours anyway.
			return nil, fmt.Errorf("%s: service bus client from connection string: %w", cfg.Prefix, err)
		}
		return client, nil
	case cfg.FullyQualifiedNamespace != "":
		cred, err := cfg.TokenCredential()
		if err != nil {
			return nil, err
		}
		client, err := azservicebus.NewClient(cfg.FullyQualifiedNamespace, cred, nil)
		if err != nil {
			return nil, fmt.Errorf("%s__fullyQualifiedNamespace: service bus client: %w", cfg.Prefix, err)
		}
		return client, nil
	default:
		return nil, fmt.Errorf("%s: no connection string and no namespace configured", cfg.Prefix)
	}
}
