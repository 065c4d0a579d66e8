package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	azauth "github.com/microsoft/kiota-authentication-azure-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"

	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Directory is the workflow.Directory over Microsoft Graph. It is safe for
// concurrent use; create one per process with New.
type Directory struct {
	adapter abstractions.RequestAdapter // msgraph-sdk-go's: auth, retry, telemetry, errors
	base    string                      // Options.BaseURL without trailing slash
	opts    Options
	log     *slog.Logger
	pacer   *invitePacer // nil: invitations are not paced

	// inviteOptions are the POST /invitations request options (its retry
	// policy), built once: the SDK only reads them, so every invitation
	// shares them.
	inviteOptions []abstractions.RequestOption

	groupKinds sync.Map // group id (lower-cased) → workflow.GroupKind, read once
}

var _ workflow.Directory = (*Directory)(nil)

// New builds a Directory for opts. It validates the options, restricts
// token attachment to the base URL's host, and assembles the HTTP pipeline
// in a fixed order. No network call is made.
func New(ctx context.Context, opts Options) (*Directory, error) {
	_ = ctx // reserved: credential construction takes no context today
	o, base, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	auth, err := authProvider(o, base)
	if err != nil {
		return nil, err
	}
	pacer := newInvitePacer(o.InviteLimit, o.InviteWindow)
	httpClient := newHTTPClient(o, pacer)
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	adapter.SetBaseUrl(o.BaseURL)
	// The client is not kept (requests are built in raw.go), but building
	// it registers the SDK's JSON, text and form (de)serializers, which the
	// adapter needs to read answers and Graph's error bodies.
	_ = msgraphsdk.NewGraphServiceClient(adapter)
	d := &Directory{
		adapter:       adapter,
		base:          o.BaseURL,
		opts:          o,
		log:           o.Logger.With(slog.String(logkey.Component, "graph")),
		pacer:         pacer,
		inviteOptions: []abstractions.RequestOption{retryOptions(o, true)},
	}
	d.log.Info("graph directory ready", slog.String(logkey.BaseURL, o.BaseURL), slog.String(logkey.Auth, authName(o)),
		slog.Int(logkey.BatchConcurrency, o.BatchConcurrency))
	return d, nil
}

// BaseURL returns the Graph root this Directory talks to.
func (d *Directory) BaseURL() string { return d.base }

func authName(o Options) string {
	if o.Credential != nil {
		return "credential"
	}
	return "none"
}

// authProvider returns the kiota authentication provider for o: anonymous
// without a credential, otherwise a bearer-token provider over it that only
// attaches tokens for the base URL's host.
func authProvider(o Options, base *url.URL) (absauth.AuthenticationProvider, error) {
	if o.Credential == nil {
		return &absauth.AnonymousAuthenticationProvider{}, nil
	}
	host := base.Hostname()
	scope := "https://graph.microsoft.com/.default"
	if base.Scheme == "https" && !httpx.IsLoopbackHost(host) {
		// National clouds (graph.microsoft.us, ...) use their own audience.
		scope = "https://" + host + "/.default"
	}
	p, err := azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(o.Credential, []string{scope}, []string{host})
	if err != nil {
		return nil, fmt.Errorf("graph: authentication provider: %w", err)
	}
	return p, nil
}
