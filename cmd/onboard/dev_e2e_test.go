//go:build unix

package main

// The end-to-end test of issue 5: the onboard binary is built, `onboard
// dev` runs as a process (its own queue, host emulator, handler, state
// directory and graphsim), and events go in with `onboard send` as a user
// would send them. What happened is read back from graphsim's admin API
// (/_sim/state) and from `onboard status` / `onboard dlq`, again as
// processes. Nothing here reaches into the running process.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/config"
	"github.com/b2b-onboarding/onboard/graphsim"
)

const (
	adaMail     = "ada.lovelace@fabrikam.com"
	graceMail   = "grace.hopper@contoso.com"
	malloryMail = "mallory@contoso.com"
	poisonID    = "0badc0de-0000-4000-8000-000000000001"
)

// buildOnboard builds the onboard binary (go build -o <tmp>/onboard .)
// once per test binary and returns its path.
func buildOnboard(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "onboard-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "onboard")
		if out, err := exec.Command(goBin, "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// cleanEnv is the test's environment without any app setting, so a
// developer's shell cannot change what dev does.
func cleanEnv(extra ...string) []string {
	return append(config.WithoutSettings(os.Environ()), extra...)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// devProcess is a running `onboard dev`.
type devProcess struct {
	cmd      *exec.Cmd
	devURL   string
	graphsim string // root URL of its graphsim
	stdout   *syncBuffer
	stderr   *syncBuffer
	done     chan struct{} // closed when the process has exited
	waitErr  error         // its exit status, once done is closed
}

var graphsimLine = regexp.MustCompile(`(?m)^\s+graphsim\s+(http://127\.0\.0\.1:\d+)\s`)

// startDev starts dev and waits until its banner says it is ready.
func startDev(t *testing.T, bin, dir string, env []string, args ...string) *devProcess {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"dev", "--addr", addr}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: killed with it
	p := &devProcess{cmd: cmd, devURL: "http://" + addr, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.stdout.Write(append(sc.Bytes(), '\n'))
			if m := graphsimLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.graphsim = <-ready:
	case <-p.done:
		t.Fatalf("dev exited before it was ready: %v\nstdout:\n%s\nstderr:\n%s", p.waitErr, p.stdout, p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("dev not ready after 30s\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	return p
}

// stop interrupts dev (Ctrl-C) and waits for a clean exit.
func (p *devProcess) stop(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-p.done:
		if p.waitErr != nil {
			t.Errorf("dev exited with %v after Ctrl-C\nstderr:\n%s", p.waitErr, p.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("dev did not stop within 20s of Ctrl-C")
		p.kill()
	}
}

// kill ends the process group if the process still runs.
func (p *devProcess) kill() {
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// onboardCmd runs one onboard command to completion.
func onboardCmd(t *testing.T, bin, dir string, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// onboardOK runs one onboard command against the dev runtime at devURL
// and returns its stdout; a failure ends the test.
func onboardOK(t *testing.T, bin, dir string, env []string, devURL string, args ...string) string {
	t.Helper()
	out, errOut, err := onboardCmd(t, bin, dir, env, append(args, "--dev-url", devURL)...)
	if err != nil {
		t.Fatalf("onboard %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// simState reads graphsim's admin snapshot.
func simState(t *testing.T, root string) graphsim.State {
	t.Helper()
	resp, err := http.Get(root + "/_sim/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st graphsim.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func usersWithMail(st graphsim.State, mail string) []graphsim.User {
	var out []graphsim.User
	for _, u := range st.Users {
		if strings.EqualFold(u.Mail, mail) {
			out = append(out, u)
		}
	}
	return out
}

// provisioned reports whether the guest exists with every expected
// membership and assignment.
func provisioned(st graphsim.State, mail string, groups, roles []string, apps [][2]string) (graphsim.User, bool) {
	us := usersWithMail(st, mail)
	if len(us) != 1 {
		return graphsim.User{}, false
	}
	id := us[0].ID
	for _, g := range groups {
		found := false
		for _, sg := range st.Groups {
			found = found || sg.ID == g && slices.Contains(sg.Members, id)
		}
		if !found {
			return us[0], false
		}
	}
	for _, r := range roles {
		if !slices.ContainsFunc(st.RoleAssignments, func(a graphsim.RoleAssignment) bool { return a.PrincipalID == id && a.RoleDefinitionID == r }) {
			return us[0], false
		}
	}
	for _, a := range apps {
		if !slices.ContainsFunc(st.AppRoleAssignments, func(x graphsim.AppRoleAssignment) bool {
			return x.PrincipalID == id && x.ResourceID == a[0] && x.AppRoleID == a[1]
		}) {
			return us[0], false
		}
	}
	return us[0], true
}

// eventually polls cond every interval until it holds or the deadline passes.
func eventually(t *testing.T, what string, within, every time.Duration, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(every)
	}
}

func TestDevEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs onboard dev as a process")
	}
	began := time.Now()
	bin := buildOnboard(t)
	t.Logf("built onboard in %s", time.Since(began).Round(time.Millisecond))

	examples, err := filepath.Abs(repoFile("examples"))
	if err != nil {
		t.Fatal(err)
	}
	work, dataDir := t.TempDir(), filepath.Join(t.TempDir(), "data")
	env := cleanEnv()
	devArgs := []string{"--data-dir", dataDir, "--reminder-schedule", "2s,4s", "--expire-after", "6s", "--max-delivery-count", "3"}
	dev := startDev(t, bin, work, env, devArgs...)
	t.Logf("dev ready at %s (graphsim %s) after %s", dev.devURL, dev.graphsim, time.Since(began).Round(time.Millisecond))
	defer func() {
		if t.Failed() {
			t.Logf("dev stdout:\n%s\ndev stderr:\n%s", dev.stdout, dev.stderr)
		}
	}()
	// dev runs doctor once it is ready and prints its summary: the sample
	// tenant and dev's queue pass.
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(dev.stdout.String(), "doctor: "); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("dev printed no doctor summary")
		}
	}
	if out := dev.stdout.String(); !strings.Contains(out, " 0 failed, 0 warnings") {
		t.Errorf("doctor summary at start-up is not clean:\n%s", out)
	}
	run := func(args ...string) string {
		t.Helper()
		return onboardOK(t, bin, work, env, dev.devURL, args...)
	}
	status := func(key string) map[string]any {
		t.Helper()
		var rec map[string]any
		if err := json.Unmarshal([]byte(run("status", key, "--json")), &rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}

	// --- send: a CloudEvent file (Grace), event data with --type (Ada), a poisoned event
	sent := time.Now()
	if id := strings.TrimSpace(run("send", filepath.Join(examples, "partner-approved.json"))); id != "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a" {
		t.Errorf("send printed %q, want the event id", id)
	}
	if id := strings.TrimSpace(run("send", "--type", "partner-approved", "--data", "@"+filepath.Join(examples, "ada.json"))); len(id) != 36 {
		t.Errorf("send --type printed %q, want a fresh UUID", id)
	}
	run("send", "--no-validate", filepath.Join(examples, "poisoned-privileged-role.json"))

	// --- guests created once, with properties, memberships and assignments
	adaGroups := []string{graphsim.SampleGroupPartners, graphsim.SampleGroupApollo}
	adaApps := [][2]string{{graphsim.SampleSPPartnerPortal, graphsim.SampleAppRolePortalReader}, {graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID}}
	var st graphsim.State
	var ada, grace graphsim.User
	provisionedAt := eventually(t, "Ada and Grace provisioned in graphsim", 15*time.Second, 50*time.Millisecond, func() bool {
		st = simState(t, dev.graphsim)
		var okA, okG bool
		ada, okA = provisioned(st, adaMail, adaGroups, []string{graphsim.RoleGuestInviter}, adaApps)
		grace, okG = provisioned(st, graceMail, []string{graphsim.SampleGroupApollo}, nil, [][2]string{{graphsim.SampleSPWiki, graphsim.DefaultAccessAppRoleID}})
		return okA && okG
	})
	t.Logf("both guests provisioned %s after the first send", provisionedAt.Sub(sent).Round(time.Millisecond))
	for _, c := range []struct{ prop, want string }{
		{"jobTitle", "Engineer"}, {"department", "R&D"}, {"companyName", "Fabrikam"}, {"givenName", "Ada"}, {"surname", "Lovelace"},
		{"city", "Amsterdam"}, {"postalCode", "1012 JS"}, {"usageLocation", "NL"}, {"ageGroup", "Adult"}, {"mobilePhone", "+31 6 1234 5678"},
	} {
		if got := fmt.Sprint(ada.Properties[c.prop]); got != c.want {
			t.Errorf("Ada's %s = %q, want %q", c.prop, got, c.want)
		}
	}
	if ada.ManagerID != graphsim.SampleUserMegan || ada.UserType != "Guest" || grace.Properties["jobTitle"] != "Rear Admiral" {
		t.Errorf("Ada manager %q type %q, Grace jobTitle %v", ada.ManagerID, ada.UserType, grace.Properties["jobTitle"])
	}
	if n := len(usersWithMail(st, malloryMail)); n != 0 {
		t.Errorf("the poisoned event reached Graph: %d users for %s", n, malloryMail)
	}

	// --- reminders while pending; Ada accepts after the first reminder
	var acceptedAt time.Time
	eventually(t, "Ada's first reminder email", 10*time.Second, 50*time.Millisecond, func() bool {
		return len(simState(t, dev.graphsim).Emails[adaMail]) >= 2
	})
	resp, err := http.Post(dev.graphsim+"/_sim/users/"+adaMail+"/accept", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("accept Ada: %v %v", err, resp)
	}
	resp.Body.Close()
	acceptedAt = time.Now()
	adaEmailsAtAccept := len(simState(t, dev.graphsim).Emails[adaMail])
	t.Logf("Ada accepted %s after the send, after %d emails", acceptedAt.Sub(sent).Round(time.Millisecond), adaEmailsAtAccept)

	eventually(t, "Ada Completed and Grace Expired (status --json)", 15*time.Second, 200*time.Millisecond, func() bool {
		return status(adaMail)["phase"] == "Completed" && status(graceMail)["phase"] == "Expired"
	})
	t.Logf("Ada Completed and Grace Expired %s after the send", time.Since(sent).Round(time.Millisecond))
	// past the last moment anything could still be due for Ada (expiry check at +6s)
	if wait := time.Until(sent.Add(7 * time.Second)); wait > 0 {
		time.Sleep(wait)
	}
	st = simState(t, dev.graphsim)
	if n := len(st.Emails[adaMail]); n != adaEmailsAtAccept || n != 2 {
		t.Errorf("Ada got %d emails, %d when she accepted: want the invitation and one reminder, none after acceptance", n, adaEmailsAtAccept)
	}
	graceEmails := st.Emails[graceMail]
	if len(graceEmails) != 3 {
		t.Fatalf("Grace got %d emails, want the invitation and 2 reminders", len(graceEmails))
	}
	for i, due := range []time.Duration{0, 2 * time.Second, 4 * time.Second} {
		off := graceEmails[i].SentAt.Sub(graceEmails[0].SentAt)
		t.Logf("Grace email %d at +%s (due +%s)", i+1, off.Round(time.Millisecond), due)
		if off < due-100*time.Millisecond || off > due+1500*time.Millisecond {
			t.Errorf("Grace email %d at +%s: want +%s (reminder schedule 2s,4s)", i+1, off, due)
		}
		if graceEmails[i].UserID != grace.ID {
			t.Errorf("Grace email %d to user %s, want the one guest %s", i+1, graceEmails[i].UserID, grace.ID)
		}
	}
	if n := len(usersWithMail(st, adaMail)) + len(usersWithMail(st, graceMail)); n != 2 {
		t.Errorf("%d users for Ada and Grace, want one each", n)
	}
	g := status(graceMail)
	if inv, _ := g["invite"].(map[string]any); fmt.Sprint(inv["emailsSent"]) != "3" {
		t.Errorf("Grace's record: invite %v, want 3 emails sent", g["invite"])
	}
	if txt := run("status", adaMail); !strings.Contains(txt, adaMail+": Completed") || !strings.Contains(txt, "emails sent   2") {
		t.Errorf("status (text):\n%s", txt)
	}

	// --- the poisoned event: dead-lettered after 3 deliveries, with the policy reason
	var list string
	eventually(t, "poisoned event in the DLQ", 10*time.Second, 100*time.Millisecond, func() bool {
		list = run("dlq", "list")
		return strings.Contains(list, poisonID)
	})
	t.Logf("dlq list:\n%s", list)
	for _, want := range []string{"MaxDeliveryCountExceeded", "policy: roles[0]", "Global Administrator", "privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES"} {
		if !strings.Contains(list, want) {
			t.Errorf("dlq list lacks %q", want)
		}
	}
	var dls []struct {
		MessageID     string `json:"messageId"`
		DeliveryCount int    `json:"deliveryCount"`
	}
	if err := json.Unmarshal([]byte(run("dlq", "list", "--json")), &dls); err != nil || len(dls) != 1 || dls[0].DeliveryCount != 3 {
		t.Errorf("dlq list --json: %+v %v; want one dead letter after 3 deliveries", dls, err)
	}
	dev.stop(t)
	if !strings.Contains(dev.stderr.String(), "dev runtime stopped") {
		t.Errorf("no clean stop in the log")
	}
	phase1 := time.Since(sent)

	// --- fix the policy, restart on the same data directory, replay
	env2 := cleanEnv("POLICY_ALLOWED_PRIVILEGED_ROLES="+graphsim.RoleGlobalAdministrator,
		"POLICY_ALLOWED_ROLES="+graphsim.RoleGlobalAdministrator+","+graphsim.RoleGuestInviter)
	dev = startDev(t, bin, work, env2, devArgs...)
	if list := run("dlq", "list"); !strings.Contains(list, poisonID) {
		t.Fatalf("the dead letter did not survive the restart:\n%s", list)
	}
	replayed := time.Now()
	newID := strings.TrimSpace(run("dlq", "replay", poisonID))
	if newID == "" || newID == poisonID {
		t.Fatalf("replay printed %q, want a fresh message id", newID)
	}
	eventually(t, "Mallory onboarded with the Global Administrator role after replay", 10*time.Second, 50*time.Millisecond, func() bool {
		_, ok := provisioned(simState(t, dev.graphsim), malloryMail, nil, []string{graphsim.RoleGlobalAdministrator}, nil)
		return ok
	})
	t.Logf("replayed as %s; onboarded %s later", newID, time.Since(replayed).Round(time.Millisecond))
	if rec := status(malloryMail); rec["phase"] != "Provisioned" {
		t.Errorf("Mallory's phase %v, want Provisioned", rec["phase"])
	}
	if list := run("dlq", "list"); !strings.HasPrefix(list, "no dead letters") {
		t.Errorf("dlq after replay:\n%s", list)
	}
	// the records of the first run are still there
	if rec := status(adaMail); rec["phase"] != "Completed" {
		t.Errorf("Ada's record after restart: %v", rec["phase"])
	}
	dev.stop(t)
	t.Logf("lifecycle %s, total %s", phase1.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}
