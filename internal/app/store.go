package app

import (
	"context"
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// OpenStore opens the state store the settings name: in memory, or Table
// Storage with a connection string (STATE_TABLE_CONNECTION or
// AzureWebJobsStorage; UseDevelopmentStorage=true is Azurite) or, with
// STATE_TABLE_ENDPOINT, with cred (the app's identity).
func OpenStore(ctx context.Context, cfg config.Config, cred azcore.TokenCredential) (workflow.Store, error) {
	if cfg.StateStore == "memory" {
		return store.NewMemory(), nil
	}
	tc := store.TablesConfig{ConnectionString: cfg.TableConnection, Table: cfg.TableName}
	if cfg.TableConnection == "" {
		if cred == nil {
			return nil, errors.New("STATE_TABLE_ENDPOINT: identity-based access needs the app's credential")
		}
		tc.ServiceURL, tc.Credential = cfg.TableEndpoint, cred
	}
	return store.NewTables(ctx, tc)
}
