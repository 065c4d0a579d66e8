package main

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// openTables opens the Table Storage state store: with a connection string
// (STATE_TABLE_CONNECTION or AzureWebJobsStorage; UseDevelopmentStorage=true
// is Azurite) or, with STATE_TABLE_ENDPOINT, with the app's identity.
func openTables(ctx context.Context, cfg config.Config) (workflow.Store, error) {
	tc := store.TablesConfig{ConnectionString: cfg.TableConnection, Table: cfg.TableName}
	if cfg.TableConnection == "" {
		cred, err := appCredential(cfg)
		if err != nil {
			return nil, err
		}
		tc.ServiceURL, tc.Credential = cfg.TableEndpoint, cred
	}
	return store.NewTables(ctx, tc)
}

// appCredential is the identity the app uses for Azure resources: the
// user-assigned managed identity named by AZURE_CLIENT_ID, else
// DefaultAzureCredential (system-assigned identity in Azure, developer
// credentials locally).
func appCredential(cfg config.Config) (azcore.TokenCredential, error) {
	if cfg.AzureClientID != "" {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(cfg.AzureClientID)})
		if err != nil {
			return nil, fmt.Errorf("managed identity %s: %w", cfg.AzureClientID, err)
		}
		return cred, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("default Azure credential: %w", err)
	}
	return cred, nil
}
