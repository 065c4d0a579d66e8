package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/servicebus"
)

// ErrFailed is returned by Run when a check failed: `onboard doctor` exits 1.
var ErrFailed = errors.New("one or more checks failed (✗); see the fix lines")

// Options are `onboard doctor`'s flags and the sources its caller has.
type Options struct {
	JSON bool
	// AppSP is the object id of the app's service principal (for a
	// managed identity, its principal id); empty: permissions cannot be
	// told.
	AppSP string
	// Queue, QueueAccess, Table and Records are checked when set
	// (`onboard dev` passes its queue); Run fills those the configuration
	// names (SCHEDULER=servicebus, STATE_STORE=tables) when they are nil.
	Queue       Queue
	QueueAccess QueueAccess
	Table       Table
	Records     Records
}

// ForConfig builds the checker for the configured policy and schedule,
// reading the tenant through dir.
func ForConfig(cfg config.Config, dir *graph.Directory, o Options) Checker {
	// Reminders and retries are sent with deterministic MessageIds, and a
	// step that sends one can run again for up to RETRY_MAX_ELAPSED (its
	// retry chain); the window is counted from the first send, so it must
	// cover that span, not the reminder schedule itself (14 days by
	// default, beyond Service Bus's 7-day maximum). docs/deploy.md, "The
	// queue, and why these numbers".
	maxDelivery, lock := expectedQueue()
	return Checker{
		Tenant: dir, Permissions: AppGrants{Reader: dir, SP: o.AppSP}, Queue: o.Queue, QueueAccess: o.QueueAccess, Table: o.Table, Records: o.Records,
		MaxDeliveryCount: maxDelivery, LockDuration: lock,
		Needed: NeededPermissions(len(cfg.Policy.AllowedGroups) > 0, len(cfg.Policy.AllowedRoles) > 0, len(cfg.Policy.AllowedApps) > 0), Groups: cfg.Policy.AllowedGroups, Roles: cfg.Policy.AllowedRoles, Apps: cfg.Policy.AllowedApps,
		DuplicateWindowAtLeast: cfg.Workflow.RetryMaxElapsed,
	}
}

// Run checks the configured tenant and resources, prints the table (or
// JSON) on w and returns ErrFailed when a check failed.
func Run(ctx context.Context, cfg config.Config, o Options, w io.Writer) (Report, error) {
	dir, sp, err := Directory(ctx, cfg)
	if err != nil {
		return Report{}, err
	}
	if o.AppSP == "" {
		o.AppSP = sp
	}
	closeAll := azureSources(ctx, cfg, &o)
	defer closeAll()
	rep := ForConfig(cfg, dir, o).Run(ctx)
	render := Render
	if o.JSON {
		render = RenderJSON
	}
	if err := render(w, rep); err != nil {
		return rep, err
	}
	if rep.Failed() {
		return rep, ErrFailed
	}
	return rep, nil
}

// Directory is the Graph client for the configured base URL and identity,
// and the app's service principal object id read from a token's oid claim
// ("" with GRAPH_AUTH=none, where no token is obtained).
func Directory(ctx context.Context, cfg config.Config) (dir *graph.Directory, appSP string, err error) {
	opts := graph.Options{BaseURL: cfg.GraphBaseURL, Logger: slog.New(slog.DiscardHandler)}
	if cfg.GraphAuth != "none" {
		cred, err := app.NewCredential(cfg.GraphIdentity)
		if err != nil {
			return nil, "", fmt.Errorf("graph access: no credential for %s: %w", cfg.GraphIdentity, err)
		}
		if appSP, err = AppSPFromToken(ctx, cred); err != nil {
			return nil, "", fmt.Errorf("graph access with %s: %w", cfg.GraphIdentity, err)
		}
		opts.Credential = cred
	}
	dir, err = graph.New(ctx, opts)
	return dir, appSP, err
}

// StartupCheck is serve's start-up check: with the app's Graph client and
// credential (nil with GRAPH_AUTH=none) it obtains a token, reads the
// app's granted permissions and logs the verdict once; it never fails.
func StartupCheck(ctx context.Context, cfg config.Config, dir *graph.Directory, cred azcore.TokenCredential, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var sp string
	if cred != nil {
		var err error
		if sp, err = AppSPFromToken(ctx, cred); err != nil {
			log.Warn("doctor: graph access failed", logkey.Error, fmt.Errorf("graph access with %s: %w", cfg.GraphIdentity, err))
			return
		}
	}
	LogPermissions(ctx, log, dir, sp, ForConfig(cfg, dir, Options{}).Needed)
}

// LogPermissions is serve's cheap start-up check: the app's granted Graph
// application permissions against the needed ones, logged once, never
// failing start-up.
func LogPermissions(ctx context.Context, log *slog.Logger, r GrantReader, appSP string, needed []string) {
	res := Checker{Permissions: AppGrants{Reader: r, SP: appSP}, Needed: needed}.Run(ctx).Results[0]
	lvl := slog.LevelInfo
	if res.Status != OK {
		lvl = slog.LevelWarn
	}
	log.Log(ctx, lvl, "doctor: "+res.Check+": "+res.Detail, logkey.CheckStatus, string(res.Status), logkey.Fix, res.Fix)
}

// azureSources fills o's unset Service Bus and state table sources from
// the configuration (SCHEDULER=servicebus, STATE_STORE=tables) with the
// app's identity; a source that cannot be built becomes a failing check
// naming why, not an aborted run. The returned func releases them.
func azureSources(ctx context.Context, cfg config.Config, o *Options) (closeAll func()) {
	var closers []func()
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	var cred azcore.TokenCredential
	if cfg.GraphAuth != "none" {
		c, err := app.NewCredential(cfg.Identity)
		if err != nil {
			cred = failingCredential{err}
		} else {
			cred = c
		}
	}
	if o.Queue == nil && cfg.Scheduler == "servicebus" {
		conn := servicebus.Connection{Setting: cfg.ServiceBus.Prefix, ConnectionString: cfg.ServiceBus.ConnectionString,
			FullyQualifiedNamespace: cfg.ServiceBus.FullyQualifiedNamespace, Credential: cred}
		q, access, closeQ, err := QueueFor(conn, cfg.Queue)
		if err != nil {
			o.Queue = broken{err}
		} else {
			o.Queue, closers = q, append(closers, closeQ)
			if o.QueueAccess == nil {
				o.QueueAccess = access
			}
		}
	}
	if o.Table == nil && cfg.StateStore == "tables" {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s, err := app.OpenStore(tctx, cfg, cred)
		t, ok := s.(interface {
			Table
			Records
		})
		switch {
		case err != nil:
			o.Table = broken{err}
		case !ok:
			o.Table = broken{fmt.Errorf("the %T store has no probe", s)}
		default:
			o.Table = t
			if o.Records == nil {
				o.Records = t
			}
		}
	}
	return closeAll
}

// broken is a source that could not be built: its check fails with why.
type broken struct{ err error }

func (b broken) Properties(context.Context) (QueueProperties, error) { return QueueProperties{}, b.err }
func (b broken) Probe(context.Context) error                         { return b.err }

// failingCredential reports why no credential could be made, on first use.
type failingCredential struct{ err error }

func (f failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, f.err
}
