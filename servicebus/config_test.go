package servicebus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const testConnString = "Endpoint=sb://contoso-onboarding.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0LWtleQ=="

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConnConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		env     map[string]string
		want    ConnConfig
		wantErr string // substring; also checked: the secret never appears
	}{
		{
			name: "connection string",
			env:  map[string]string{"ServiceBusConnection": "  " + testConnString + "\n"},
			want: ConnConfig{Prefix: "ServiceBusConnection", ConnectionString: testConnString},
		},
		{
			name: "SAS signature connection string",
			env:  map[string]string{"ServiceBusConnection": "Endpoint=sb://x.servicebus.windows.net;SharedAccessSignature=SharedAccessSignature sr=x&sig=abc&se=1&skn=k"},
			want: ConnConfig{Prefix: "ServiceBusConnection", ConnectionString: "Endpoint=sb://x.servicebus.windows.net;SharedAccessSignature=SharedAccessSignature sr=x&sig=abc&se=1&skn=k"},
		},
		{
			name: "identity: DefaultAzureCredential",
			env:  map[string]string{"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net"},
			want: ConnConfig{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net"},
		},
		{
			name: "identity: system-assigned managed identity",
			env: map[string]string{
				"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net",
				"ServiceBusConnection__credential":              "ManagedIdentity",
			},
			want: ConnConfig{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net", Credential: "managedidentity"},
		},
		{
			name: "identity: user-assigned managed identity",
			env: map[string]string{
				"ServiceBusConnection__fullyQualifiedNamespace": "contoso-onboarding.servicebus.windows.net",
				"ServiceBusConnection__credential":              "managedidentity",
				"ServiceBusConnection__clientId":                "11111111-2222-3333-4444-555555555555",
			},
			want: ConnConfig{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net", Credential: "managedidentity", ClientID: "11111111-2222-3333-4444-555555555555"},
		},
		{
			name:   "custom prefix",
			prefix: "OpsBus",
			env: map[string]string{
				"ServiceBusConnection":            testConnString,
				"OpsBus__fullyQualifiedNamespace": "ops.servicebus.windows.net",
			},
			want: ConnConfig{Prefix: "OpsBus", FullyQualifiedNamespace: "ops.servicebus.windows.net"},
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
			got, err := ConnConfigFromEnv(envOf(tt.env), tt.prefix)
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
				t.Fatalf("ConnConfigFromEnv: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConnConfigIdentity(t *testing.T) {
	tests := []struct {
		cfg  ConnConfig
		want string
	}{
		{ConnConfig{ConnectionString: testConnString}, "connection string (contoso-onboarding.servicebus.windows.net)"},
		{ConnConfig{FullyQualifiedNamespace: "x.servicebus.windows.net"}, "DefaultAzureCredential"},
		{ConnConfig{FullyQualifiedNamespace: "x.servicebus.windows.net", Credential: "managedidentity"}, "managed identity (system-assigned)"},
		{ConnConfig{FullyQualifiedNamespace: "x.servicebus.windows.net", ClientID: "abc"}, "managed identity (client id abc)"},
	}
	for _, tt := range tests {
		if got := tt.cfg.Identity(); got != tt.want {
			t.Errorf("Identity() = %q, want %q", got, tt.want)
		}
		if strings.Contains(tt.cfg.Identity(), "c2VjcmV0") {
			t.Errorf("Identity leaks the key")
		}
	}
}

// The credential kind follows the settings: managed identity when asked for
// (or when a client id picks a user-assigned one), else the default chain.
func TestConnConfigTokenCredential(t *testing.T) {
	tests := []struct {
		name string
		cfg  ConnConfig
		want string // type name, "" for nil
	}{
		{"connection string has none", ConnConfig{ConnectionString: testConnString}, ""},
		{"default chain", ConnConfig{Prefix: "P", FullyQualifiedNamespace: "x.servicebus.windows.net"}, "*azidentity.DefaultAzureCredential"},
		{"system-assigned", ConnConfig{Prefix: "P", FullyQualifiedNamespace: "x.servicebus.windows.net", Credential: CredentialManagedIdentity}, "*azidentity.ManagedIdentityCredential"},
		{"user-assigned by client id", ConnConfig{Prefix: "P", FullyQualifiedNamespace: "x.servicebus.windows.net", ClientID: "11111111-2222-3333-4444-555555555555"}, "*azidentity.ManagedIdentityCredential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, err := tt.cfg.TokenCredential()
			if err != nil {
				t.Fatalf("TokenCredential: %v", err)
			}
			var got string
			switch cred.(type) {
			case nil:
			case *azidentity.DefaultAzureCredential:
				got = "*azidentity.DefaultAzureCredential"
			case *azidentity.ManagedIdentityCredential:
				got = "*azidentity.ManagedIdentityCredential"
			default:
				got = "other"
			}
			if got != tt.want {
				t.Errorf("credential %s, want %s", got, tt.want)
			}
		})
	}
}

// NewClient is lazy (no connection until first use), so it can be built
// here for both kinds of config without touching the network.
func TestNewClient(t *testing.T) {
	for _, cfg := range []ConnConfig{
		{Prefix: "ServiceBusConnection", ConnectionString: testConnString},
		{Prefix: "ServiceBusConnection", FullyQualifiedNamespace: "contoso-onboarding.servicebus.windows.net", Credential: CredentialManagedIdentity},
	} {
		client, err := NewClient(cfg)
		if err != nil {
			t.Fatalf("NewClient(%s): %v", cfg.Identity(), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := client.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		cancel()
	}
	for _, cfg := range []ConnConfig{
		{Prefix: "ServiceBusConnection"},
		{Prefix: "ServiceBusConnection", ConnectionString: testConnString, FullyQualifiedNamespace: "x.servicebus.windows.net"},
	} {
		_, err := NewClient(cfg)
		if err == nil || !strings.Contains(err.Error(), "ServiceBusConnection") {
			t.Errorf("NewClient(%+v) error = %v, want one naming the setting", cfg, err)
		}
		if err != nil && errors.Unwrap(err) != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("error leaks the key: %v", err)
		}
	}
}
