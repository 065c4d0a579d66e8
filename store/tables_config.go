package store

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// DefaultTable is the table NewTables uses when TablesConfig.Table is empty.
const DefaultTable = "onboarding"

// DevelopmentStorageTableURL is where UseDevelopmentStorage=true points:
// Azurite's table service with the well-known development account.
const DevelopmentStorageTableURL = "http://127.0.0.1:10002/devstoreaccount1"

// developmentStorageKey is the well-known, public key of Azurite's
// devstoreaccount1 (not a secret).
const developmentStorageKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// TablesConfig says where the Table Storage store lives and how to
// authenticate. Give either ConnectionString, or ServiceURL with
// Credential.
type TablesConfig struct {
	// ConnectionString is a storage account connection string as in
	// AzureWebJobsStorage: AccountName and AccountKey (with TableEndpoint,
	// or DefaultEndpointsProtocol and EndpointSuffix), AccountName and
	// SharedAccessSignature, or UseDevelopmentStorage=true for Azurite on
	// DevelopmentStorageTableURL.
	ConnectionString string
	// ServiceURL is the table service endpoint, e.g.
	// https://<account>.table.core.windows.net, used with Credential
	// (managed identity: azidentity). The identity needs the "Storage Table
	// Data Contributor" role.
	ServiceURL string
	// Credential authenticates requests to ServiceURL.
	Credential azcore.TokenCredential
	// Table is the table name (default DefaultTable): 3–63 letters and
	// digits, starting with a letter. It is created when missing.
	Table string
	// ClientOptions are passed to aztables (retries, transport); nil for
	// the SDK defaults.
	ClientOptions *aztables.ClientOptions
	// PageSize is the number of entities List asks for per page; 0 means
	// the service maximum (1000). Small values exist to test paging.
	PageSize int32
	// Logger receives start-up information; nil means slog.Default().
	Logger *slog.Logger
}

var tableNameRule = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{2,62}$`) })

// client validates cfg and builds the table client. Errors name the
// TablesConfig field and never contain the account key.
func (cfg TablesConfig) client() (*aztables.Client, string, error) {
	table := cfg.Table
	if table == "" {
		table = DefaultTable
	}
	if !tableNameRule().MatchString(table) {
		return nil, "", fmt.Errorf("store: TablesConfig.Table %q: must be 3-63 letters or digits, starting with a letter", table)
	}
	if strings.EqualFold(table, "tables") {
		return nil, "", fmt.Errorf("store: TablesConfig.Table %q: the name is reserved by Table Storage", table)
	}
	hasConn, hasURL := cfg.ConnectionString != "", cfg.ServiceURL != ""
	switch {
	case hasConn && (hasURL || cfg.Credential != nil):
		return nil, "", fmt.Errorf("store: TablesConfig: give either ConnectionString or ServiceURL with Credential, not both")
	case hasConn:
		svc, err := aztables.NewServiceClientFromConnectionString(expandConnectionString(cfg.ConnectionString), cfg.ClientOptions)
		if err != nil {
			// The SDK's message does not echo the string, so no key leaks.
			return nil, "", fmt.Errorf("store: TablesConfig.ConnectionString: %w", err)
		}
		return svc.NewClient(table), table, nil
	case hasURL && cfg.Credential == nil:
		return nil, "", fmt.Errorf("store: TablesConfig.Credential: required with ServiceURL")
	case hasURL:
		if !strings.HasPrefix(cfg.ServiceURL, "https://") {
			return nil, "", fmt.Errorf("store: TablesConfig.ServiceURL %q: must be https (tokens are never sent in clear text)", cfg.ServiceURL)
		}
		svc, err := aztables.NewServiceClient(cfg.ServiceURL, cfg.Credential, cfg.ClientOptions)
		if err != nil {
			return nil, "", fmt.Errorf("store: TablesConfig.ServiceURL %q: %w", cfg.ServiceURL, err)
		}
		return svc.NewClient(table), table, nil
	case cfg.Credential != nil:
		return nil, "", fmt.Errorf("store: TablesConfig.ServiceURL: required with Credential")
	default:
		return nil, "", fmt.Errorf("store: TablesConfig: ConnectionString or ServiceURL with Credential is required")
	}
}

// expandConnectionString replaces UseDevelopmentStorage=true, which the
// SDK does not understand, by the explicit Azurite connection string.
func expandConnectionString(cs string) string {
	for _, part := range strings.Split(cs, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if strings.EqualFold(k, "UseDevelopmentStorage") && strings.EqualFold(v, "true") {
			return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + developmentStorageKey +
				";TableEndpoint=" + DevelopmentStorageTableURL + ";"
		}
	}
	return cs
}
