package app

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
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

// idCred is a credential that remembers the identity it was built for.
type idCred struct {
	azcore.TokenCredential
	id config.Identity
}

func recordCred(id config.Identity) (azcore.TokenCredential, error) { return &idCred{id: id}, nil }

func identityOf(c azcore.TokenCredential) string {
	if c == nil {
		return "none"
	}
	return c.(*idCred).id.String()
}

// TestCredentialsFor: Graph gets the identity GRAPH_CLIENT_ID names and the
// state table and Service Bus the app's; without GRAPH_CLIENT_ID they share
// one credential; nothing is built that no client needs.
func TestCredentialsFor(t *testing.T) {
	const appID, graphID = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	app := config.Identity{ManagedIdentity: true, ClientID: appID}
	graphOnly := config.Identity{ManagedIdentity: true, ClientID: graphID}
	deployed := config.Config{GraphAuth: "managedidentity", Identity: app, GraphIdentity: graphOnly,
		StateStore: "tables", TableEndpoint: "https://acct.table.core.windows.net", Scheduler: "servicebus"}
	shared := deployed
	shared.GraphIdentity = app
	local := config.Config{GraphAuth: "none", StateStore: "memory", Scheduler: "memory"}
	tableOnly := local
	tableOnly.StateStore, tableOnly.TableEndpoint = "tables", "https://acct.table.core.windows.net"
	graphOnlyNeeded := deployed
	graphOnlyNeeded.StateStore, graphOnlyNeeded.Scheduler = "memory", "memory"

	for _, tc := range []struct {
		name           string
		cfg            config.Config
		wantApp, wantG string
		same           bool
	}{
		{"GRAPH_CLIENT_ID set", deployed, app.String(), graphOnly.String(), false},
		{"GRAPH_CLIENT_ID unset: one shared credential", shared, app.String(), app.String(), true},
		{"local: none needed", local, "none", "none", false},
		{"table by endpoint, graph none", tableOnly, "DefaultAzureCredential", "none", false},
		{"only graph needs one", graphOnlyNeeded, "none", graphOnly.String(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := credentialsFor(tc.cfg, Overrides{}, recordCred)
			if err != nil {
				t.Fatal(err)
			}
			if got := identityOf(c.App); got != tc.wantApp {
				t.Errorf("app (table, Service Bus) credential: %s, want %s", got, tc.wantApp)
			}
			if got := identityOf(c.Graph); got != tc.wantG {
				t.Errorf("graph credential: %s, want %s", got, tc.wantG)
			}
			if same := c.App != nil && c.App == c.Graph; same != tc.same {
				t.Errorf("app and graph share one credential: %v, want %v", same, tc.same)
			}
		})
	}
}

// TestCredentialsForRealKinds: through NewCredential, a separate Graph
// identity gets a managed identity credential of its own.
func TestCredentialsForRealKinds(t *testing.T) {
	cfg := config.Config{GraphAuth: "managedidentity", StateStore: "tables", TableEndpoint: "https://acct.table.core.windows.net",
		Identity:      config.Identity{ManagedIdentity: true, ClientID: "11111111-1111-1111-1111-111111111111"},
		GraphIdentity: config.Identity{ManagedIdentity: true, ClientID: "22222222-2222-2222-2222-222222222222"}}
	c, err := credentialsFor(cfg, Overrides{}, NewCredential)
	if err != nil {
		t.Fatal(err)
	}
	_, appMI := c.App.(*azidentity.ManagedIdentityCredential)
	_, graphMI := c.Graph.(*azidentity.ManagedIdentityCredential)
	if !appMI || !graphMI || c.App == c.Graph {
		t.Errorf("app %T, graph %T: want two managed identity credentials", c.App, c.Graph)
	}
}
