package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/b2b-onboarding/onboard/graphsim"
)

func init() {
	register("graphsim", "serve a simulated Microsoft Graph tenant (prints its base URL first)", func(ctx context.Context, args []string) error {
		return runGraphsim(ctx, args, os.Stdout, os.Stderr)
	})
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runGraphsim serves graphsim until ctx ends. The first line on stdout is
// the Graph base URL (http://ADDR/v1.0) so scripts can read it.
func runGraphsim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("graphsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := graphsim.DefaultKnobs()
	addr := fs.String("addr", "127.0.0.1:5081", "listen address (loopback; port 0 picks a free port)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback listen address")
	seedPath := fs.String("seed", "", "tenant seed JSON file (default: the built-in sample tenant, see docs/graphsim.md)")
	domain := fs.String("domain", "", "tenant domain (default "+graphsim.DefaultDomain+" or the seed's)")
	randSeed := fs.Uint64("rand-seed", 1, "seed of the random source (ids, faults, jitter)")
	var groupAddrs stringList
	fs.Var(&groupAddrs, "group-address", "address pattern treated as a group mailbox, e.g. 'dl-*@*' (repeatable; replaces the defaults)")
	logLevel := fs.String("log-level", "info", "log level: debug logs every request")
	k := def
	fs.DurationVar(&k.Latency, "latency", 0, "latency added to every /v1.0 request")
	fs.DurationVar(&k.Jitter, "jitter", 0, "random extra latency in [0, jitter)")
	fs.Float64Var(&k.FailureRate, "failure-rate", 0, "probability of a 503 per request or $batch item")
	fs.IntVar(&k.RetryAfter, "retry-after", 0, "Retry-After seconds on injected 503s")
	fs.Float64Var(&k.DropRate, "drop-rate", 0, "probability of closing the connection before processing")
	fs.Float64Var(&k.DropAfterRate, "drop-after-rate", 0, "probability of processing, then closing the connection (lost response)")
	fs.IntVar(&k.InviteLimit, "invite-limit", def.InviteLimit, "invitation requests per window per tenant (0: no throttle)")
	fs.DurationVar(&k.InviteWindow, "invite-window", def.InviteWindow, "invitation throttle window")
	fs.DurationVar(&k.ReplicationLag, "replication-lag", 0, "time writes referencing a new guest answer 404")
	fs.StringVar(&k.LagReads, "lag-reads", graphsim.LagReadsVisible, "what reads of a lagging guest see: visible, hidden or mixed")
	fs.BoolVar(&k.LagListings, "lag-listings", false, "hide lagging users from GET /users listings whatever --lag-reads says")
	fs.BoolVar(&k.ShuffleBatch, "shuffle-batch", false, "answer $batch items in random order")
	fs.BoolVar(&k.RequireAuth, "require-auth", false, "answer 401 without an Authorization: Bearer header")
	var deny stringList
	fs.Var(&deny, "deny", "route answered 403 Authorization_RequestDenied, e.g. 'POST /servicePrincipals/{id}/appRoleAssignedTo' (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: onboard graphsim [--addr 127.0.0.1:PORT] [--seed file.json] [--domain d] [knobs]\n\n"+
			"Serves a simulated Microsoft Graph v1.0 tenant at http://ADDR/v1.0 (printed first on stdout)\n"+
			"and its admin API at http://ADDR/_sim/. See docs/graphsim.md.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	k.Deny = deny
	if err := k.Validate(); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); !*allowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %q is not a loopback address; pass --allow-remote to serve on it", *addr)
	}
	cfg := graphsim.Config{Domain: *domain, Knobs: &k, RandSeed: *randSeed,
		Logger: newLogger(stderr, "text", *logLevel).With("component", "graphsim")}
	if *seedPath != "" {
		seed, err := graphsim.LoadSeed(*seedPath)
		if err != nil {
			return err
		}
		cfg.Seed = &seed
	}
	if len(groupAddrs) > 0 {
		seed := graphsim.SampleSeed()
		if cfg.Seed != nil {
			seed = *cfg.Seed
		}
		seed.GroupAddressPatterns = groupAddrs
		cfg.Seed = &seed
	}
	sim, err := graphsim.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, graphsim.BaseURL(ln)); err != nil {
		ln.Close()
		return err
	}
	cfg.Logger.Info("graphsim listening", "base_url", graphsim.BaseURL(ln), "domain", sim.Domain(),
		"admin", "http://"+ln.Addr().String()+"/_sim/state", "invite_limit", k.InviteLimit,
		"replication_lag", k.ReplicationLag.String(), "failure_rate", k.FailureRate)
	if err := sim.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
