package app

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/b2b-onboarding/onboard/config"
)

// NewCredential builds the app's one Azure credential for id: a
// ManagedIdentityCredential (user-assigned when id.ClientID is set) or
// DefaultAzureCredential. It makes no network call; tokens are fetched on
// first use. Graph, the state table and Service Bus all get this one.
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
