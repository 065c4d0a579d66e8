package app

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/b2b-onboarding/onboard/config"
)

// NewCredential builds an Azure credential for id: a
// ManagedIdentityCredential (user-assigned when id.ClientID is set) or
// DefaultAzureCredential. It makes no network call; tokens are fetched on
// first use.
func NewCredential(id config.Identity) (azcore.TokenCredential, error) {
	if id.ManagedIdentity {
		opts := &azidentity.ManagedIdentityCredentialOptions{}
		if id.ClientID != "" {
			opts.ID = azidentity.ClientID(id.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		return cred, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return cred, nil
}

// credentials are the app's credentials, each nil when no client needs it.
type credentials struct {
	// App is the app's identity (cfg.Identity): the state table by
	// endpoint and Service Bus by namespace.
	App azcore.TokenCredential
	// Graph is Microsoft Graph's (cfg.GraphIdentity): App itself when
	// both are the same identity, so they share one token cache.
	Graph azcore.TokenCredential
}

// credentialsFor builds, through newCred (NewCredential outside tests),
// the credentials the settings need: the Graph one unless
// GRAPH_AUTH=none, the app one when the state table or Service Bus
// authenticate by identity. This is the one place credentials are built.
func credentialsFor(cfg config.Config, over Overrides, newCred func(config.Identity) (azcore.TokenCredential, error)) (credentials, error) {
	var c credentials
	appNeeded := (over.Store == nil && cfg.StateStore == "tables" && cfg.TableConnection == "") ||
		(over.Scheduler == nil && cfg.Scheduler == "servicebus" && cfg.ServiceBus.ConnectionString == "")
	graphNeeded := cfg.GraphAuth != "none"
	var err error
	if appNeeded || (graphNeeded && cfg.GraphIdentity == cfg.Identity) {
		if c.App, err = newCred(cfg.Identity); err != nil {
			return credentials{}, err
		}
	}
	switch {
	case !graphNeeded:
	case cfg.GraphIdentity == cfg.Identity:
		c.Graph = c.App
	default:
		if c.Graph, err = newCred(cfg.GraphIdentity); err != nil {
			return credentials{}, fmt.Errorf("GRAPH_CLIENT_ID: %w", err)
		}
	}
	return c, nil
}
