package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/b2b-onboarding/onboard/internal/httpx"
	"github.com/b2b-onboarding/onboard/internal/logging"
	"github.com/b2b-onboarding/onboard/internal/logkey"
)

// graphsimFlags are the flags of `onboard graphsim` besides its knobs.
type graphsimFlags struct {
	addr, seedPath, domain, logLevel string
	allowRemote                      bool
	randSeed                         uint64
	groupAddrs, deny                 []string
}

func newGraphsim() *cobra.Command {
	var gf graphsimFlags
	k := graphsim.DefaultKnobs()
	cmd := &cobra.Command{
		Use:   "graphsim [flags]",
		Short: "Serve a simulated Microsoft Graph tenant (prints its base URL first)",
		Long: `Serves a simulated Microsoft Graph v1.0 tenant at http://ADDR/v1.0 (printed first on stdout)
and its admin API at http://ADDR/_sim/. See docs/graphsim.md.`,
		Args: noArgs,
	}
	f := cmd.Flags()
	f.StringVar(&gf.addr, "addr", "127.0.0.1:5081", "listen address (loopback; port 0 picks a free port)")
	f.BoolVar(&gf.allowRemote, "allow-remote", false, "allow a non-loopback listen address")
	f.StringVar(&gf.seedPath, "seed", "", "tenant seed JSON file (default: the built-in sample tenant, see docs/graphsim.md)")
	f.StringVar(&gf.domain, "domain", "", "tenant domain (default "+graphsim.DefaultDomain+" or the seed's)")
	f.Uint64Var(&gf.randSeed, "rand-seed", 1, "seed of the random source (ids, faults, jitter)")
	f.StringArrayVar(&gf.groupAddrs, "group-address", nil, "address pattern treated as a group mailbox, e.g. 'dl-*@*' (repeatable; replaces the defaults)")
	f.StringVar(&gf.logLevel, "log-level", "info", "log level: debug logs every request")
	f.StringArrayVar(&gf.deny, "deny", nil, "route answered 403 Authorization_RequestDenied, e.g. 'POST /servicePrincipals/{id}/appRoleAssignedTo' (repeatable)")
	addKnobs(f, &k)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		k.Deny = gf.deny
		cfg, err := gf.config(&k)
		if err != nil {
			return usageError{err}
		}
		cfg.Logger = logging.New(cmd.ErrOrStderr(), "text", gf.logLevel).With(logkey.Component, "graphsim")
		return serveGraphsim(cmd, cfg, gf.addr)
	}
	return cmd
}

// addKnobs defines the fault and behaviour knobs on f.
func addKnobs(f *pflag.FlagSet, k *graphsim.Knobs) {
	def := *k
	f.DurationVar(&k.Latency, "latency", 0, "latency added to every /v1.0 request")
	f.DurationVar(&k.Jitter, "jitter", 0, "random extra latency in [0, jitter)")
	f.Float64Var(&k.FailureRate, "failure-rate", 0, "probability of a 503 per request or $batch item")
	f.IntVar(&k.RetryAfter, "retry-after", 0, "Retry-After seconds on injected 503s")
	f.Float64Var(&k.DropRate, "drop-rate", 0, "probability of closing the connection before processing")
	f.Float64Var(&k.DropAfterRate, "drop-after-rate", 0, "probability of processing, then closing the connection (lost response)")
	f.IntVar(&k.InviteLimit, "invite-limit", def.InviteLimit, "invitation requests per window per tenant (0: no throttle)")
	f.DurationVar(&k.InviteWindow, "invite-window", def.InviteWindow, "invitation throttle window")
	f.DurationVar(&k.ReplicationLag, "replication-lag", 0, "time writes referencing a new guest answer 404")
	f.StringVar(&k.LagReads, "lag-reads", graphsim.LagReadsVisible, "what reads of a lagging guest see: visible, hidden or mixed")
	f.BoolVar(&k.LagListings, "lag-listings", false, "hide lagging users from GET /users listings whatever --lag-reads says")
	f.BoolVar(&k.ShuffleBatch, "shuffle-batch", false, "answer $batch items in random order")
	f.BoolVar(&k.RequireAuth, "require-auth", false, "answer 401 without an Authorization: Bearer header")
}

// config checks the flags and builds graphsim's configuration.
func (gf graphsimFlags) config(k *graphsim.Knobs) (graphsim.Config, error) {
	if err := k.Validate(); err != nil {
		return graphsim.Config{}, err
	}
	host, _, err := net.SplitHostPort(gf.addr)
	if err != nil {
		return graphsim.Config{}, fmt.Errorf("--addr %q: %w", gf.addr, err)
	}
	if !gf.allowRemote && !httpx.IsLoopbackHost(host) {
		return graphsim.Config{}, fmt.Errorf("--addr %q is not a loopback address; pass --allow-remote to serve on it", gf.addr)
	}
	cfg := graphsim.Config{Domain: gf.domain, Knobs: k, RandSeed: gf.randSeed}
	if gf.seedPath != "" {
		seed, err := graphsim.LoadSeed(gf.seedPath)
		if err != nil {
			return cfg, err
		}
		cfg.Seed = &seed
	}
	if len(gf.groupAddrs) > 0 {
		seed := graphsim.SampleSeed()
		if cfg.Seed != nil {
			seed = *cfg.Seed
		}
		seed.GroupAddressPatterns = gf.groupAddrs
		cfg.Seed = &seed
	}
	return cfg, nil
}

// serveGraphsim serves graphsim until the command's context ends. The
// first line on stdout is the Graph base URL (http://ADDR/v1.0) so scripts
// can read it.
func serveGraphsim(cmd *cobra.Command, cfg graphsim.Config, addr string) error {
	sim, err := graphsim.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(cmd.OutOrStdout(), graphsim.BaseURL(ln)); err != nil {
		ln.Close()
		return err
	}
	cfg.Logger.Info("graphsim listening", logkey.BaseURL, graphsim.BaseURL(ln), logkey.Domain, sim.Domain(),
		logkey.Admin, "http://"+ln.Addr().String()+"/_sim/state", logkey.InviteLimit, cfg.Knobs.InviteLimit,
		logkey.ReplicationLag, cfg.Knobs.ReplicationLag.String(), logkey.FailureRate, cfg.Knobs.FailureRate)
	if err := sim.Serve(cmd.Context(), ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
