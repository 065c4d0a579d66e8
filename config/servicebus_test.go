package config

import (
	"strings"
	"testing"
)

const testConnString = "Endpoint=sb://contoso-onboarding.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0LWtleQ=="

func envOf(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseServiceBus(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		env     map[string]string
		want    ServiceBusConnection
		wantErr string // substring; also checked: the secret never appears
	}{
		{
			name: "connection string",
			env:  map[string]string{"ServiceBusConnection": "  " + testConnString + "\n"},
			want: ServiceBusConnection{Prefix: "ServiceBusConnection", ConnectionString: testConnString},
		},
		{
			name: "SAS signature connection string",
			env:  map[string]string{"ServiceBusConnection": "Endpoint=sb://x.servicebus.windows.net;SharedAccessSignature=SharedAccessSignature sr=x&sig=abc&se=1&skn=k"},
			want: ServiceBusConnection{Prefix: "ServiceBusConnection", ConnectionString: "Endpoint=sb://x.servicebus.windows.net;SharedAccessSignature=SharedAccessSignature sr=x&sig=abc&se=1&skn=k"},
		},
		{
			name: "identity: DefaultAzureCredential",
			env:  map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net"},
			want: ServiceBusConnection{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net"},
		},
		{
			name: "identity: system-assigned managed identity",
			env: map[string]string{
				"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net",
				"ServiceBusConnection__credential":              "ManagedIdentity",
			},
			want: ServiceBusConnection{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net", Credential: "managedidentity"},
		},
		{
			name: "identity: user-assigned managed identity",
			env: map[string]string{
				"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net",
				"ServiceBusConnection__credential":              "managedidentity",
				"ServiceBusConnection__clientId":                "11111111-2222-3333-4444-555555555555",
			},
			want: ServiceBusConnection{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net", Credential: "managedidentity", ClientID: "11111111-2222-3333-4444-555555555555"},
		},
		{
			name:   "custom prefix",
			prefix: "OpsBus",
			env: map[string]string{
				"ServiceBusConnection":            testConnString,
				"OpsBus__fullyQualifiedNamespace": "ops.servicebus.windows.net",
			},
			want: ServiceBusConnection{Prefix: "OpsBus", FullyQualifiedNamespace: "ops.servicebus.windows.net"},
		},
		{
			name:    "nothing set",
			env:     map[string]string{},
			wantErr: "ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace: one must be set",
		},
		{
			name:    "only blanks",
			env:     map[string]string{"ServiceBusConnection": "   "},
			wantErr: "one must be set",
		},
		{
			name:    "custom prefix names its settings",
			prefix:  "OpsBus",
			env:     map[string]string{"ServiceBusConnection": testConnString},
			wantErr: "OpsBus or OpsBus__fullyQualifiedNamespace: one must be set",
		},
		{
			name: "both set",
			env: map[string]string{
				"ServiceBusConnection":                          testConnString,
				"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net",
			},
			wantErr: "ServiceBusConnection and ServiceBusConnection__fullyQualifiedNamespace: both are set",
		},
		{
			name: "credential with connection string",
			env: map[string]string{
				"ServiceBusConnection":             testConnString,
				"ServiceBusConnection__credential": "managedidentity",
			},
			wantErr: "ServiceBusConnection__credential: only applies to an identity-based connection",
		},
		{
			name: "clientId with connection string",
			env: map[string]string{
				"ServiceBusConnection":           testConnString,
				"ServiceBusConnection__clientId": "11111111-2222-3333-4444-555555555555",
			},
			wantErr: "ServiceBusConnection__clientId: only applies to an identity-based connection",
		},
		{
			name: "unknown credential",
			env: map[string]string{
				"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net",
				"ServiceBusConnection__credential":              "clientsecret",
			},
			wantErr: `ServiceBusConnection__credential: must be "managedidentity" (or unset), got "clientsecret"`,
		},
		{
			name:    "namespace with scheme",
			env:     map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "sb://contoso-onboarding.servicebus.windows.net/"},
			wantErr: "ServiceBusConnection__fullyQualifiedNamespace: must be a host name",
		},
		{
			name:    "namespace short name",
			env:     map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding"},
			wantErr: "ServiceBusConnection__fullyQualifiedNamespace: must be the fully qualified host name like contoso-onboarding.servicebus.windows.net",
		},
		{
			name:    "connection string put in namespace setting",
			env:     map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": testConnString},
			wantErr: "ServiceBusConnection__fullyQualifiedNamespace: must be a host name like <namespace>.servicebus.windows.net, not a connection string",
		},
		{
			name:    "namespace put in connection string setting",
			env:     map[string]string{"ServiceBusConnection": "contoso-onboarding.servicebus.windows.net"},
			wantErr: "ServiceBusConnection: is not a connection string",
		},
		{
			name:    "connection string without endpoint",
			env:     map[string]string{"ServiceBusConnection": "SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0LWtleQ=="},
			wantErr: "ServiceBusConnection: connection string needs Endpoint=sb://",
		},
		{
			name:    "connection string with https endpoint",
			env:     map[string]string{"ServiceBusConnection": "Endpoint=https://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0LWtleQ=="},
			wantErr: "ServiceBusConnection: connection string needs Endpoint=sb://",
		},
		{
			name:    "connection string without key name",
			env:     map[string]string{"ServiceBusConnection": "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKey=c2VjcmV0LWtleQ=="},
			wantErr: "ServiceBusConnection: connection string needs SharedAccessKeyName",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseServiceBus(envOf(tt.env), tt.prefix)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("got %+v, want error %q", got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "c2VjcmV0LWtleQ") {
					t.Errorf("error leaks the shared access key: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseServiceBus: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestServiceBusNamespace(t *testing.T) {
	for _, tc := range []struct {
		conn ServiceBusConnection
		want string
	}{
		{ServiceBusConnection{ConnectionString: testConnString}, "contoso-onboarding.servicebus.windows.net"},
		{ServiceBusConnection{FullyQualifiedNamespace: "x.servicebus.windows.net"}, "x.servicebus.windows.net"},
		{ServiceBusConnection{ConnectionString: "SharedAccessKey=c2VjcmV0LWtleQ=="}, "(connection string)"},
	} {
		if got := tc.conn.Namespace(); got != tc.want || strings.Contains(got, "c2VjcmV0") {
			t.Errorf("Namespace() = %q, want %q", got, tc.want)
		}
	}
}

// TestLoadServiceBusIdentity: the scheduler sends with the app's
// identity, so an identity-based connection must not name another.
// GRAPH_CLIENT_ID gives Graph a managed identity of its own while the
// state table and Service Bus keep the app's; unset, Graph uses the app's;
// with GRAPH_AUTH other than managedidentity it is refused, not ignored.
func TestLoadServiceBusIdentity(t *testing.T) {
	const appID, graphID = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	sb := []string{"SCHEDULER", "servicebus", "ServiceBusConnection__fullyQualifiedNamespace", "x.servicebus.windows.net"}
	sbMI := []string{"GRAPH_AUTH", "managedidentity", "AZURE_CLIENT_ID", appID,
		"ServiceBusConnection__credential", "managedidentity", "ServiceBusConnection__clientId", appID}
	app := Identity{ManagedIdentity: true, ClientID: appID}
	for _, tc := range []struct {
		name    string
		kv      []string
		want    Identity
		wantErr string
		graph   *Identity // Graph's identity; nil: the same as want
	}{
		{"template: one user-assigned identity", []string{"GRAPH_AUTH", "managedidentity", "AZURE_CLIENT_ID", "id-1",
			"ServiceBusConnection__credential", "managedidentity", "ServiceBusConnection__clientId", "id-1"}, Identity{ManagedIdentity: true, ClientID: "id-1"}, "", nil},
		{"developer sign-in", []string{"GRAPH_AUTH", "default"}, Identity{}, "", nil},
		{"another client id", []string{"GRAPH_AUTH", "managedidentity", "AZURE_CLIENT_ID", "id-1",
			"ServiceBusConnection__clientId", "id-2"}, Identity{}, "ServiceBusConnection__clientId: must name the app's identity", nil},
		{"managed identity for Service Bus only", []string{"GRAPH_AUTH", "default",
			"ServiceBusConnection__credential", "managedidentity"}, Identity{}, "ServiceBusConnection__credential: managedidentity needs", nil},
		{"template: graph identity of its own", append([]string{"GRAPH_CLIENT_ID", graphID}, sbMI...),
			app, "", &Identity{ManagedIdentity: true, ClientID: graphID}},
		{"GRAPH_CLIENT_ID blank: the app's identity", append([]string{"GRAPH_CLIENT_ID", " "}, sbMI...), app, "", nil},
		{"GRAPH_CLIENT_ID with default", []string{"GRAPH_AUTH", "default", "GRAPH_CLIENT_ID", graphID},
			Identity{}, "GRAPH_CLIENT_ID: needs GRAPH_AUTH=managedidentity", nil},
		{"GRAPH_CLIENT_ID with none", []string{"GRAPH_AUTH", "none", "GRAPH_CLIENT_ID", graphID},
			Identity{}, "GRAPH_CLIENT_ID: needs GRAPH_AUTH=managedidentity", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv := append(append(append([]string{}, base...), sb...), tc.kv...)
			kv = append(kv, "GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0")
			c, err := Load(env(kv...))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			graph := tc.want
			if tc.graph != nil {
				graph = *tc.graph
			}
			if c.Identity != tc.want || c.GraphIdentity != graph || c.ServiceBus.FullyQualifiedNamespace != "x.servicebus.windows.net" {
				t.Errorf("identity %+v, graph identity %+v, service bus %+v", c.Identity, c.GraphIdentity, c.ServiceBus)
			}
		})
	}
}
