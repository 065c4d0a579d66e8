package app

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/b2b-onboarding/onboard/config"
)

// The credential kind follows the identity config decided: managed
// identity (system- or user-assigned), else the default chain.
func TestNewCredential(t *testing.T) {
	for _, tc := range []struct {
		id   config.Identity
		want string
	}{
		{config.Identity{}, "default"},
		{config.Identity{ManagedIdentity: true}, "managed"},
		{config.Identity{ManagedIdentity: true, ClientID: "11111111-2222-3333-4444-555555555555"}, "managed"},
	} {
		cred, err := NewCredential(tc.id)
		if err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		got := "other"
		switch cred.(type) {
		case *azidentity.DefaultAzureCredential:
			got = "default"
		case *azidentity.ManagedIdentityCredential:
			got = "managed"
		}
		if got != tc.want {
			t.Errorf("%s: %T, want %s", tc.id, cred, tc.want)
		}
	}
}

// TestBuildNeedsNoCredentialLocally: with graphsim, the memory store and
// the local queue nothing authenticates, so no credential is built.
func TestBuildNeedsNoCredentialLocally(t *testing.T) {
	cfg := config.Config{GraphAuth: "none", StateStore: "memory", Scheduler: "memory"}
	if cred, err := credentialFor(cfg, Overrides{}); cred != nil || err != nil {
		t.Errorf("credential %T, %v; want none", cred, err)
	}
	cfg.StateStore, cfg.TableEndpoint = "tables", "https://acct.table.core.windows.net"
	if cred, err := credentialFor(cfg, Overrides{}); cred == nil || err != nil {
		t.Errorf("table by endpoint: credential %T, %v; want the app's", cred, err)
	}
}
