//go:build unix

package chaos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/devhost"
)

// Result is what a run found.
type Result struct {
	counts
	Onboardings, Poisoned int // addresses in the plan
	Messages, Acked       int // messages sent, and acknowledged by the ops API
	Accepted              int // acceptances graphsim confirmed
	Kills                 int
	Quiesced              bool // the queue emptied within QuiesceTimeout
	Took                  time.Duration
	Findings              []string // one line per counted failure
	Notes                 []string // one line per onboarding that ended neither well nor counted
	WorkDir               string   // data directory and logs
}

// Failures is the sum of the eight counts; a run passes when it is 0.
func (r Result) Failures() int { return r.failures() }

// Line is the one-line summary of the run.
func (r Result) Line() string {
	return fmt.Sprintf("chaos: onboardings=%d kills=%d duplicate_guests=%d extra_emails=%d lost=%d incomplete=%d poison_leaks=%d panics=%d "+
		"outcome_missing=%d outcome_duplicates=%d "+
		"(poisoned=%d messages=%d acked=%d accepted=%d outcomes=%d; completed=%d expired=%d pending=%d in_flight=%d dead_lettered=%d unacked=%d quiesced=%t; took %s)",
		r.Onboardings, r.Kills, r.DuplicateGuests, r.ExtraEmails, r.Lost, r.Incomplete, r.PoisonLeaks, r.Panics,
		r.OutcomeMissing, r.OutcomeDuplicates,
		r.Poisoned, r.Messages, r.Acked, r.Accepted, r.Outcomes, r.Completed, r.Expired, r.Pending, r.InFlight, r.DeadLettered, r.Unacked,
		r.Quiesced, r.Took.Round(time.Second))
}

// Run performs one chaos run: graphsim and dev as processes, the plan's
// traffic while dev is killed and restarted, then (kills stopped) a wait
// for an empty queue, and the verdict. logf receives progress lines. An
// error means the run itself could not be carried out; findings are in the
// Result. Every child process is gone when Run returns.
func Run(ctx context.Context, c Config, logf func(format string, args ...any)) (res Result, err error) {
	began := time.Now()
	if err := c.Validate(); err != nil {
		return res, err
	}
	reminders, expire, _ := c.schedule()
	work, temp := c.WorkDir, c.WorkDir == ""
	if temp {
		if work, err = os.MkdirTemp("", "onboard-chaos-"); err != nil {
			return res, err
		}
	} else if err := os.MkdirAll(work, 0o700); err != nil {
		return res, err
	}
	if work, err = filepath.Abs(work); err != nil {
		return res, err
	}
	res.WorkDir = work
	defer func() { // a temporary directory goes, unless something is to be looked at
		if temp && err == nil && res.Failures() == 0 && !c.Keep {
			os.RemoveAll(work)
			res.WorkDir = ""
		}
	}()
	bin := c.Bin
	if bin == "" {
		logf("building onboard into %s", work)
		if bin, err = buildOnboard(ctx, work); err != nil {
			return res, err
		}
	}
	env := childEnv(c)

	sim, simRoot, err := startGraphsim(c, bin, work, env)
	if err != nil {
		return res, err
	}
	defer sim.kill()
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	devURL := "http://" + addr
	dev := newDevSupervisor(c, bin, work, addr, simRoot, env)
	if err := dev.start(ctx); err != nil {
		return res, err
	}
	superCtx, stopSuper := context.WithCancel(ctx)
	superExit := make(chan struct{}) // closed when supervise returns; superErr is set then
	var superErr error
	killing := make(chan struct{})
	go func() {
		superErr = dev.supervise(superCtx, c, rand.New(rand.NewPCG(c.Seed, 7)), killing)
		close(superExit)
	}()
	shutdown := sync.OnceFunc(func() {
		stopSuper()
		<-superExit
		dev.stop()
	})
	defer shutdown()
	// devGone says why dev cannot be relied on any more, if it cannot.
	devGone := func() error {
		select {
		case <-superExit:
			return fmt.Errorf("dev is not running: %w", cmp.Or(superErr, ctx.Err(), errors.New("supervisor stopped")))
		default:
			return nil
		}
	}
	logf("graphsim %s, dev %s, work dir %s; faults 503 %.0f%% drop-before %.0f%% drop-after %.0f%%, lag %s",
		simRoot, devURL, work, 100*c.FailureRate, 100*c.DropRate, 100*c.DropAfterRate, c.ReplicationLag)

	// chaos phase: traffic and acceptances while dev is killed
	chaosCtx, stopChaos := context.WithTimeout(ctx, c.Timeout)
	defer stopChaos()
	client, err := devhost.NewClient(devURL, &http.Client{Timeout: 15 * time.Second})
	if err != nil {
		return res, err
	}
	start := time.Now()
	p := newPlan(c, start)
	logf("plan: %d onboardings and %d poisoned events in %d messages over %s (seed %d)",
		c.Onboardings, len(p.Onboardings)-c.Onboardings, len(p.Sends), p.Window.Round(time.Second), c.Seed)
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendAll(chaosCtx, client, p, start, c.Senders) }()
	acceptDone := make(chan struct{})
	go func() { acceptAll(chaosCtx, simRoot, p, start, expire+30*time.Second); close(acceptDone) }()
	if err := <-sendErr; err != nil {
		return res, err
	}
	logf("traffic sent after %s", time.Since(start).Round(time.Second))
	for kills, _ := dev.counts(); kills < c.MinKills && chaosCtx.Err() == nil && devGone() == nil; kills, _ = dev.counts() {
		sleepUntil(chaosCtx, time.Now().Add(500*time.Millisecond))
	}
	close(killing)
	<-acceptDone
	stopChaos()
	if err := devGone(); err != nil {
		return res, err
	}
	kills, _ := dev.counts()
	logf("chaos phase over after %s: %d kills; waiting up to %s for the queue to empty", time.Since(start).Round(time.Second), kills, c.QuiesceTimeout)

	res.Quiesced = quiesce(ctx, client, c.QuiesceTimeout)
	if err := devGone(); err != nil {
		return res, err
	}
	logf("queue %s after %s", map[bool]string{true: "empty", false: "still busy"}[res.Quiesced], time.Since(start).Round(time.Second))

	// read back
	var obs observation
	if obs.Sim, err = simState(ctx, simRoot); err != nil {
		return res, err
	}
	var valid []string
	for _, o := range p.Onboardings {
		if !o.Poison {
			valid = append(valid, o.Addr)
		}
	}
	if obs.Records, err = records(ctx, devURL, valid, 8); err != nil {
		return res, err
	}
	if obs.Queued, err = queuedByKey(ctx, client); err != nil {
		return res, err
	}
	if obs.DeadLetters, err = deadLetters(ctx, bin, devURL, work, env); err != nil {
		return res, err
	}
	if obs.Outcomes, err = outcomesByKey(ctx, client); err != nil {
		return res, err
	}
	if err := devGone(); err != nil {
		return res, err
	}
	shutdown()
	if obs.PanicLines, err = panics(dev.logFiles()); err != nil {
		return res, err
	}
	res.Kills, obs.UnexpectedExits = dev.counts()

	res.counts, res.Findings, res.Notes = judge(p, obs, reminders, c.AcceptGrace)
	res.Onboardings, res.Poisoned, res.Messages = c.Onboardings, len(p.Onboardings)-c.Onboardings, len(p.Sends)
	for _, s := range p.Sends {
		if s.isAcked() {
			res.Acked++
		}
	}
	for _, o := range p.Onboardings {
		if !o.acceptance().IsZero() {
			res.Accepted++
		}
	}
	res.Took = time.Since(began)
	report := append(append([]string{res.Line(), "", "findings:"}, res.Findings...), append([]string{"", "notes:"}, res.Notes...)...)
	if err := os.WriteFile(filepath.Join(work, "findings.txt"), []byte(strings.Join(report, "\n")+"\n"), 0o600); err != nil {
		return res, err
	}
	return res, nil
}

// quiesce waits until the queue has nothing active, locked or scheduled
// for three polls in a row, or timeout passes.
func quiesce(ctx context.Context, client *devhost.Client, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	quiet := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st, err := client.Stats(ctx, queueName)
		switch {
		case err != nil: // dev restarting after a crash
			quiet = 0
		case st.Active+st.Locked+st.Scheduled == 0:
			if quiet++; quiet >= 3 {
				return true
			}
		default:
			quiet = 0
		}
		sleepUntil(ctx, time.Now().Add(time.Second))
	}
	return false
}

// childEnv is the environment of graphsim and dev: the harness's own
// without any app setting (a developer's shell must not change the run),
// plus the policy over graphsim's sample tenant, short retries, no expiry
// action (an expired guest keeps what it was given, so provisioning can be
// checked), and CHAOS_DEV_ENV last.
func childEnv(c Config) []string {
	var env []string
	for _, kv := range config.WithoutSettings(os.Environ()) {
		if !strings.HasPrefix(kv, "CHAOS_") {
			env = append(env, kv)
		}
	}
	env = append(env, policySettings()...)
	env = append(env, "EXPIRY_ACTION=none", "RETRY_INITIAL_DELAY=1s", "RETRY_MAX_DELAY=8s")
	return append(env, c.DevEnv...)
}

// buildOnboard builds ./cmd/onboard of the module the harness is in.
func buildOnboard(ctx context.Context, work string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go tool not found (set CHAOS_BIN to a built onboard): %w", err)
	}
	mod, err := exec.CommandContext(ctx, goBin, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(mod)) == "" || strings.TrimSpace(string(mod)) == os.DevNull {
		return "", errors.New("cannot find the module root (run inside the repository, or set CHAOS_BIN)")
	}
	bin := filepath.Join(work, "onboard")
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/onboard")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(mod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/onboard: %w\n%s", err, out)
	}
	return bin, nil
}
