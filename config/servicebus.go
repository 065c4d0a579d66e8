package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ServiceBusPrefix is the connection setting name the Service Bus trigger
// of OnboardingEvents uses ("connection" in its function.json).
const ServiceBusPrefix = "ServiceBusConnection"

// CredentialManagedIdentity is the only value the Functions host knows for
// the <prefix>__credential setting.
const CredentialManagedIdentity = "managedidentity"

// ServiceBusConnection says how to reach the Service Bus namespace, read from the same
// app settings as the Functions trigger (functions-host-protocol.md §14):
// either ConnectionString (setting <prefix>) or identity-based
// FullyQualifiedNamespace (setting <prefix>__fullyQualifiedNamespace) with
// an optional managed identity choice. Exactly one of ConnectionString and
// FullyQualifiedNamespace is set in a config returned by ParseServiceBus.
type ServiceBusConnection struct {
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

// ParseServiceBus reads the connection settings for prefix (empty:
// ServiceBusPrefix) through getenv (the environment, or
// local.settings.json Values). Values are trimmed. Errors name the setting
// and the rule, and never echo a connection string's secret:
//   - neither <prefix> nor <prefix>__fullyQualifiedNamespace set;
//   - both set (ambiguous: which one did the operator mean?);
//   - <prefix>__credential or <prefix>__clientId set with a connection string;
//   - <prefix>__credential other than "managedidentity";
//   - a namespace that is not a bare host name, or a connection string
//     without Endpoint=sb://… or without a key name or signature.
func ParseServiceBus(getenv Getenv, prefix string) (ServiceBusConnection, error) {
	if prefix == "" {
		prefix = ServiceBusPrefix
	}
	get := func(name string) string { v, _ := getenv(name); return strings.TrimSpace(v) }
	var (
		csName   = prefix
		nsName   = prefix + "__fullyQualifiedNamespace"
		credName = prefix + "__credential"
		idName   = prefix + "__clientId"
	)
	cfg := ServiceBusConnection{
		Prefix:                  prefix,
		ConnectionString:        get(csName),
		FullyQualifiedNamespace: get(nsName),
		Credential:              get(credName),
		ClientID:                get(idName),
	}
	switch {
	case cfg.ConnectionString == "" && cfg.FullyQualifiedNamespace == "":
		return ServiceBusConnection{}, fmt.Errorf("%s or %s: one must be set (a connection string, or the namespace host name for an identity-based connection)", csName, nsName)
	case cfg.ConnectionString != "" && cfg.FullyQualifiedNamespace != "":
		return ServiceBusConnection{}, fmt.Errorf("%s and %s: both are set; set only one (connection string or identity-based connection)", csName, nsName)
	}
	if cfg.ConnectionString != "" {
		if cfg.Credential != "" {
			return ServiceBusConnection{}, fmt.Errorf("%s: only applies to an identity-based connection (%s), not to the connection string in %s", credName, nsName, csName)
		}
		if cfg.ClientID != "" {
			return ServiceBusConnection{}, fmt.Errorf("%s: only applies to an identity-based connection (%s), not to the connection string in %s", idName, nsName, csName)
		}
		if err := checkConnectionString(cfg.ConnectionString); err != nil {
			return ServiceBusConnection{}, fmt.Errorf("%s: %w", csName, err)
		}
		return cfg, nil
	}
	if cfg.Credential != "" {
		if !strings.EqualFold(cfg.Credential, CredentialManagedIdentity) {
			return ServiceBusConnection{}, fmt.Errorf("%s: must be %q (or unset), got %q", credName, CredentialManagedIdentity, cfg.Credential)
		}
		cfg.Credential = CredentialManagedIdentity
	}
	if err := checkNamespace(cfg.FullyQualifiedNamespace); err != nil {
		return ServiceBusConnection{}, fmt.Errorf("%s: %w", nsName, err)
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

// Namespace names the namespace for messages, without secrets: the
// fully qualified namespace, or the host of a connection string's Endpoint.
func (c ServiceBusConnection) Namespace() string {
	if c.FullyQualifiedNamespace != "" {
		return c.FullyQualifiedNamespace
	}
	for _, part := range strings.Split(c.ConnectionString, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), "Endpoint") {
			if u, err := url.Parse(strings.TrimSpace(v)); err == nil && u.Host != "" {
				return u.Host
			}
		}
	}
	return "(connection string)"
}
