package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/internal/app"
	"github.com/b2b-onboarding/onboard/internal/logkey"
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
	// Queue and Table are checked when set (`onboard dev` passes its
	// queue).
	Queue Queue
	Table Table
}

// ForConfig builds the checker for the configured policy and schedule,
// reading the tenant through dir.
func ForConfig(cfg config.Config, dir *graph.Directory, o Options) Checker {
	// The window covers the reminder schedule, as the issue asks: a
	// procurement system resending an event within it is caught.
	var window time.Duration
	if n := len(cfg.Workflow.ReminderSchedule); n > 0 {
		window = cfg.Workflow.ReminderSchedule[n-1]
	}
	return Checker{
		Tenant: dir, Permissions: AppGrants{Reader: dir, SP: o.AppSP}, Queue: o.Queue, Table: o.Table,
		Needed: NeededPermissions(len(cfg.Policy.AllowedGroups) > 0, len(cfg.Policy.AllowedRoles) > 0, len(cfg.Policy.AllowedApps) > 0), Groups: cfg.Policy.AllowedGroups, Roles: cfg.Policy.AllowedRoles, Apps: cfg.Policy.AllowedApps,
		DuplicateWindowAtLeast: window,
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
		cred, err := app.NewCredential(cfg.Identity)
		if err != nil {
			return nil, "", fmt.Errorf("graph access: no credential for %s: %w", cfg.Identity, err)
		}
		if appSP, err = AppSPFromToken(ctx, cred); err != nil {
			return nil, "", fmt.Errorf("graph access with %s: %w", cfg.Identity, err)
		}
		opts.Credential = cred
	}
	dir, err = graph.New(ctx, opts)
	return dir, appSP, err
}

// StartupCheck is serve's start-up check: it obtains a token, reads the
// app's granted permissions and logs the verdict once; it never fails.
func StartupCheck(ctx context.Context, cfg config.Config, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	dir, sp, err := Directory(ctx, cfg)
	if err != nil {
		log.Warn("doctor: graph access failed", logkey.Error, err)
		return
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
