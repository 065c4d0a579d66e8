//go:build unix

package main

// TestNewcomer is issue 14's scripted newcomer: a person with a fresh clone
// and only the README and docs/dev.md. It runs, as a person types them:
//
//   - every command of README.md's top block: `make install`, `onboard dev`
//     (which is where docs/dev.md's walkthrough starts) and
//     `./scripts/test.sh`, and every command of "Running it locally";
//   - every `try:` line of dev's banner, read from what dev printed;
//   - every `$ …` command of docs/dev.md's "Walkthrough" section, in order
//     (Ctrl-C and the restart with a changed policy included);
//   - a mistake at each step (a flag that breaks its rule, a bad setting, a
//     typo'd command, a bad event, an unknown address) with the exit code
//     the person gets: 0 for help, 1 for a failure, 2 for a usage error.
//
// `onboard dev` runs on a pseudo-terminal, as in a terminal window, and Ctrl-C
// is the byte a keyboard sends. One-shot commands run through sh with their
// stdout and stderr apart, so the test asserts which stream says what.
//
// Stand-in for the test command: ./scripts/test.sh runs for real, but with
// go, gofmt, npm and node replaced by recording shims on PATH (running
// the whole suite from inside the suite would recurse and take minutes). The
// shims check what matters to a newcomer: each phase announced and timed in
// order, the arguments each tool gets, npm's EBADENGINE warnings replaced by
// one note, and a failing phase stopping the script with its name.
//
// The clone lives in a fixed folder per checkout (under os.TempDir), so a
// second run builds `make install` from the Go build cache; the first
// compiles this module's packages once more (their build cache entries
// depend on the folder), about 25 s of CPU.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestNewcomer(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository, runs make install and onboard dev")
	}
	for _, tool := range []string{"git", "make", "sh", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	began := time.Now()
	n := newNewcomer(t)
	readme := n.read("README.md")

	top := shBlocks(readme)
	if len(top) == 0 {
		t.Fatal("README.md has no ```sh block")
	}
	walkthrough := false
	for _, line := range commands(top[0]) {
		switch line.text {
		case "make install":
			n.makeInstall(line.text)
			t.Logf("make install done after %s", time.Since(began).Round(time.Millisecond))
		case "onboard dev":
			n.walkthrough(line.text)
			walkthrough = true
			t.Logf("docs/dev.md walkthrough done after %s", time.Since(began).Round(time.Millisecond))
		case "./scripts/test.sh":
			n.testScriptStandIn(line.text)
		default:
			t.Errorf("README's first block has %q, which this test does not run: add it", line.text)
		}
	}
	if !walkthrough {
		t.Error("README's first block does not start onboard dev")
	}
	n.runningItLocally(readme)
	t.Logf("newcomer done in %s", time.Since(began).Round(time.Millisecond))
}

// newcomer is the person: a fresh clone, a shell environment, and onboard
// installed into bin.
type newcomer struct {
	t       *testing.T
	dir     string   // the clone
	bin     string   // GOBIN of make install
	env     []string // the shell's environment, bin on PATH once installed
	devAddr string   // where dev listens: 127.0.0.1:7071 unless that is taken
	dev     *ptyDev  // the running `onboard dev`, if any
	starts  int      // dev starts so far
}

func newNewcomer(t *testing.T) *newcomer {
	root, err := filepath.Abs(repoFile())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", root, "rev-parse", "--show-toplevel").CombinedOutput(); err != nil {
		t.Skipf("not a git checkout, nothing to clone: %v %s", err, out)
	}
	if out, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); len(out) > 0 {
		t.Logf("note: the clone is the last commit; uncommitted changes are not in it:\n%s", out)
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "onboard-newcomer-"+hex.EncodeToString(sum[:6]))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "clone", "-q", root, dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the clone stays in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	n := &newcomer{t: t, dir: dir, bin: t.TempDir(), devAddr: "127.0.0.1:7071"}
	n.env = append(cleanEnv(), "GOBIN="+n.bin)
	if ln, err := net.Listen("tcp", n.devAddr); err != nil {
		n.devAddr = freeAddr(t) // someone else's dev: commands get --addr / --dev-url added
		t.Logf("127.0.0.1:7071 is in use here; dev runs on %s and commands get --addr/--dev-url", n.devAddr)
	} else {
		ln.Close()
	}
	return n
}

func (n *newcomer) read(rel string) string {
	b, err := os.ReadFile(filepath.Join(n.dir, rel))
	if err != nil {
		n.t.Fatal(err)
	}
	return string(b)
}

// result is what a one-shot command left on the screen.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// sh runs one command line as typed, with extra environment.
func (n *newcomer) sh(line string, env ...string) result {
	n.t.Helper()
	return n.shRaw(n.adapt(line), env...)
}

// shRaw is sh without adapt: for lines dev printed itself (its banner
// names --dev-url when it is not the default).
func (n *newcomer) shRaw(line string, env ...string) result {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir, cmd.Env = n.dir, append(append([]string{}, n.env...), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		n.t.Fatalf("%s: %v", line, err)
	}
	return r
}

// expect runs a command and checks its exit code and what it printed:
// substrings of stdout and of stderr ("" checks nothing).
func (n *newcomer) expect(line string, code int, stdout, stderr string, env ...string) result {
	n.t.Helper()
	r := n.sh(line, env...)
	if r.code != code || !strings.Contains(r.stdout, stdout) || !strings.Contains(r.stderr, stderr) {
		n.t.Errorf("$ %s\nwant exit %d, stdout with %q, stderr with %q; got %s", line, code, stdout, stderr, r)
	}
	return r
}

// eventually reruns a command, as a person would, until check accepts it.
func (n *newcomer) eventually(line string, within time.Duration, check func(result) bool) result {
	n.t.Helper()
	deadline := time.Now().Add(within)
	for {
		r := n.sh(line)
		if check(r) {
			return r
		}
		if time.Now().After(deadline) {
			n.t.Errorf("$ %s\nnot as expected within %s; last: %s", line, within, r)
			return r
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// adapt adds --addr / --dev-url when 127.0.0.1:7071 was taken by someone
// else, before any trailing comment; otherwise the line runs as written.
func (n *newcomer) adapt(line string) string {
	if n.devAddr == "127.0.0.1:7071" {
		return line
	}
	code, comment, _ := strings.Cut(line, " #")
	var flag string
	switch {
	case regexp.MustCompile(`\bonboard dev\b`).MatchString(code):
		flag = " --addr " + n.devAddr
	case regexp.MustCompile(`\bonboard (send|status|dlq)\b`).MatchString(code) && !strings.Contains(code, "--dev-url"):
		flag = " --dev-url http://" + n.devAddr
	}
	if flag == "" {
		return line
	}
	if before, after, ok := strings.Cut(code, " |"); ok { // onboard … | jq …
		code = before + flag + " |" + after
	} else {
		code += flag
	}
	if comment != "" {
		return code + " #" + comment
	}
	return code
}

// makeInstall: the README's first command. Without the install folder on
// PATH it says how to add it, and `onboard` is not found until the person
// does; then help works (exit 0) and a typo is a usage error (exit 2).
func (n *newcomer) makeInstall(line string) {
	t := n.t
	r := n.expect(line, 0, "installed "+filepath.Join(n.bin, "onboard"), "")
	if want := fmt.Sprintf(`export PATH="%s:$PATH"`, n.bin); !strings.Contains(r.stdout, want) {
		t.Errorf("make install does not say how to put %s on PATH (%s):\n%s", n.bin, want, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(n.bin, "onboard")); err != nil {
		t.Fatalf("make install installed nothing: %v", err)
	}
	onPath := "PATH=" + n.bin + ":" + os.Getenv("PATH")
	if r := n.sh("command -v onboard", "PATH=/usr/bin:/bin"); r.code == 0 {
		t.Errorf("onboard found before the install folder is on PATH: %s", r.stdout)
	}
	n.env = append(n.env, onPath)
	n.expect(line, 0, "installed ", "") // again, now on PATH: no PATH hint
	if r := n.sh(line); strings.Contains(r.stdout, "not on your PATH") {
		t.Errorf("make install with its folder on PATH still says it is not:\n%s", r.stdout)
	}
	n.expect("onboard --help", 0, "Available Commands:", "")
	n.expect("onboard help dev", 0, "--graphsim-addr", "")
	n.expect("onboard sned examples/partner-approved.json", 2, "", `unknown command "sned"`)
}

// walkthrough runs docs/dev.md's Walkthrough: its first command is the
// README's `onboard dev`.
func (n *newcomer) walkthrough(readmeLine string) {
	t := n.t
	steps := consoleCommands(section(n.read("docs/dev.md"), "## Walkthrough", "## The same commands against Azure"))
	if len(steps) == 0 || steps[0] != readmeLine {
		t.Fatalf("docs/dev.md's walkthrough starts with %q, the README with %q", first(steps), readmeLine)
	}
	// Mistakes before dev runs: a flag value that breaks its rule, a bad
	// setting in the environment.
	n.expect("onboard dev --reminder-schedule 4s,2s", 2, "", "--reminder-schedule")
	n.expect("onboard dev --graphsim-addr 0.0.0.0:5081", 2, "", "must be a loopback address")
	n.expect("EXPIRY_ACTION=archive onboard dev", 1, "", "EXPIRY_ACTION")
	n.expect("POLICY_ALLOWED_GROUPS=not-a-guid onboard dev", 1, "", "POLICY_ALLOWED_GROUPS")
	n.expect("REMINDER_SCHEDULE=abc onboard dev", 1, "", "REMINDER_SCHEDULE")

	for _, step := range steps {
		switch {
		case strings.HasPrefix(step, "#") && strings.Contains(step, "Ctrl-C"):
			n.stopDev()
		case regexp.MustCompile(`(^|\s)onboard dev(\s|$)`).MatchString(step):
			initial := n.starts == 0
			n.startDev(step)
			if initial {
				n.tryLines()
				n.sendMistakes()
			}
		default:
			n.walkthroughStep(step)
		}
	}
	if n.dev != nil {
		n.stopDev()
	}
}

// startDev starts a dev command line on a pseudo-terminal and waits for
// its banner.
func (n *newcomer) startDev(line string) {
	t := n.t
	t.Helper()
	if n.dev != nil {
		t.Fatalf("$ %s: dev already runs", line)
	}
	n.starts++
	// An interactive shell runs dev in its own foreground process group, so
	// Ctrl-C reaches dev alone; `sh -c` has no job control, so exec makes
	// dev the terminal's process as it is in that shell. Assignments
	// before the command stay its environment.
	m := regexp.MustCompile(`^((?:\w+=\S*\s+)*)(onboard dev.*)$`).FindStringSubmatch(n.adapt(line))
	if m == nil {
		t.Fatalf("$ %s: not an onboard dev command line", line)
	}
	cmd := exec.Command("sh", "-c", m[1]+"exec "+m[2])
	cmd.Dir, cmd.Env = n.dir, n.env
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	d := &ptyDev{cmd: cmd, tty: tty, done: make(chan struct{}), line: line}
	go d.read()
	t.Cleanup(d.kill)
	n.dev = d
	deadline := time.After(60 * time.Second)
	for !strings.Contains(d.screen(), "Ctrl-C stops.") {
		select {
		case <-d.done:
			t.Fatalf("$ %s: dev exited (%v) before it was ready:\n%s", line, d.err, d.screen())
		case <-deadline:
			t.Fatalf("$ %s: no banner after 60s:\n%s", line, d.screen())
		case <-time.After(50 * time.Millisecond):
		}
	}
	s := d.screen()
	if strings.Contains(s, "not on PATH") {
		t.Errorf("the banner says onboard is not on PATH after make install:\n%s", s)
	}
	if m := regexp.MustCompile(`(?m)^\s+graphsim\s+(http://127\.0\.0\.1:\d+)\s`).FindStringSubmatch(s); m != nil {
		d.graphsim = m[1]
	} else {
		t.Fatalf("no graphsim line in the banner:\n%s", s)
	}
}

// stopDev presses Ctrl-C in dev's terminal: it stops cleanly, exit 0.
func (n *newcomer) stopDev() {
	t := n.t
	t.Helper()
	d := n.dev
	if d == nil {
		t.Fatal("Ctrl-C with no dev running")
	}
	if _, err := d.tty.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("dev did not stop within 30s of Ctrl-C:\n%s", d.screen())
	}
	if d.err != nil || !strings.Contains(d.screen(), "dev runtime stopped") {
		t.Errorf("$ %s, then Ctrl-C: %v, want exit 0 and a clean stop:\n%s", d.line, d.err, d.screen())
	}
	n.dev = nil
}

// tryLines runs every `try:` line of the banner as printed.
func (n *newcomer) tryLines() {
	t := n.t
	s := n.dev.screen()
	_, rest, ok := strings.Cut(s, "\ntry:\n")
	block, _, ok2 := strings.Cut(rest, "Ctrl-C stops.")
	if !ok || !ok2 {
		t.Fatalf("no try: block in the banner:\n%s", s)
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 4 {
		t.Fatalf("want at least 4 try: lines, got %q", lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "onboard ") && !strings.HasPrefix(l, "curl ") {
			t.Errorf("try: line %q is neither onboard nor curl", l)
		}
		run := func() result { return n.shRaw(l) }
		var r result
		switch {
		case strings.HasPrefix(l, "onboard status"):
			for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(250 * time.Millisecond) {
				if r = run(); r.code == 0 || time.Now().After(deadline) {
					break
				}
			}
		default:
			r = run()
		}
		if r.code != 0 {
			t.Errorf("try: %s\n%s", l, r)
		}
	}
}

// sendMistakes: bad events and typos while dev runs.
func (n *newcomer) sendMistakes() {
	n.expect("onboard send examples/ada.json", 1, "",
		"to send it as event data use: onboard send --type partner-approved --data @examples/ada.json")
	n.expect("onboard send examples/partner-approved.jsn", 1, "", "examples/partner-approved.jsn")
	n.expect("onboard send examples/partner-approved.json examples/ada.json", 2, "", "one FILE at a time")
	n.expect("onboard send --typo partner-approved", 2, "", "unknown flag: --typo")
	n.expect("onboard validate examples/partner-approved.json", 0, "", "")
	n.expect("onboard validate examples/*.json", 1, "roles[0]", "have problems")
	n.expect("onboard validate", 2, "", "")
	n.expect("onboard send --type partner-aproved --data @examples/ada.json", 1, "", "partner-aproved")
	n.expect(`onboard send --type partner-approved --data '{"email":"x@fabrikam.com","displayNme":"X"}'`, 1, "", "displayNme")
}

const docsGraphsim = "http://127.0.0.1:36651" // the graphsim URL docs/dev.md's example banner shows

var phaseOf = regexp.MustCompile(`(?m): (Provisioned|Completed|Invited|Expired|Failed)$`)

// walkthroughStep runs one `$ …` line of docs/dev.md, checking what the
// person is told to expect there, with the mistake that belongs to it.
func (n *newcomer) walkthroughStep(step string) {
	t := n.t
	line := strings.ReplaceAll(step, docsGraphsim, n.dev.graphsim)
	switch {
	case strings.HasPrefix(line, "onboard send examples/partner-approved.json"):
		n.expect(line, 0, "c1f6e0b2-8d2a-4e5b-9a77-0f3c2d1e4b5a", "")
	case strings.HasPrefix(line, "onboard status grace.hopper@contoso.com"):
		n.expect("onboard status", 2, "", "want") // forgot the address: usage
		n.expect("onboard status nobody@fabrikam.com", 1, "", "no onboarding found for nobody@fabrikam.com")
		n.expect("onboard status nobody@fabrikam.com", 1, "", "onboard dlq list")
		r := n.eventually(line, 15*time.Second, func(r result) bool { return r.code == 0 })
		if m := phaseOf.FindStringSubmatch(strings.SplitN(r.stdout, "\n", 2)[0]); m == nil || (m[1] != "Provisioned" && m[1] != "Completed") {
			t.Errorf("$ %s: want Grace Provisioned (or Completed: she accepted through the banner's curl line):\n%s", line, r)
		}
		if !strings.Contains(r.stdout, "history:") || !strings.Contains(r.stdout, "request PR-2026-0043") {
			t.Errorf("$ %s: no history with the request:\n%s", line, r.stdout)
		}
	case strings.HasPrefix(line, "onboard status PR-2026-0043 --json | jq .phase"):
		if _, err := exec.LookPath("jq"); err != nil {
			t.Logf("jq not installed: running %q without it", line)
			line = strings.TrimSuffix(line, " | jq .phase")
		}
		n.expect(line, 0, `"`, "")
	case strings.HasPrefix(line, "curl ") && strings.Contains(line, "/_sim/users/"):
		unknown := regexp.MustCompile(`/_sim/users/[^/]+/accept`).ReplaceAllString(line, "/_sim/users/nobody@fabrikam.com/accept")
		unknown = strings.Replace(unknown, "> /dev/null", "", 1)
		n.expect(unknown, 0, "not found", "") // an address graphsim does not know: 404 with the reason
		n.expect(line, 0, "", "")
	case strings.HasPrefix(line, "onboard status ada.lovelace@fabrikam.com"):
		// "after the next reminder is due": 20 s after the invitation by default
		n.eventually(line, 40*time.Second, func(r result) bool {
			return r.code == 0 && strings.HasPrefix(r.stdout, "ada.lovelace@fabrikam.com: Completed")
		})
	case line == "onboard send examples/poisoned-privileged-role.json":
		n.expect(line, 1, "", "nothing sent") // send checks first: the policy refuses it
	case line == "onboard validate examples/*.json":
		n.expect(line, 1, "examples/partner-approved.json: ok", "1 of 3 file(s) have problems")
	case line == "onboard list":
		n.expect("onboard list --phase Provisiond", 2, "", "Provisiond")
		n.expect(line, 0, "grace.hopper@contoso.com", "")
	case line == "onboard status mallory@contoso.com":
		n.eventually(line, 20*time.Second, func(r result) bool {
			return r.code == 1 && strings.Contains(r.stdout, "onboard dlq show "+poisonID)
		})
	case strings.HasPrefix(line, "onboard dlq purge --yes"):
		n.expect("onboard dlq purge", 2, "", "--yes") // no terminal here: it refuses to delete without --yes
		n.expect(line, 0, "purged 0 dead letters", "")
	case line == "onboard dlq list":
		n.expect("onboard dlq lst", 2, "", `unknown action "lst"`)
		n.eventually(line, 20*time.Second, func(r result) bool {
			return r.code == 0 && strings.Contains(r.stdout, poisonID) && strings.Contains(r.stdout, "privileged and not in POLICY_ALLOWED_PRIVILEGED_ROLES")
		})
	case strings.HasPrefix(line, "onboard dlq show "):
		n.expect("onboard dlq show 00000000-0000-4000-8000-000000000000", 1, "", "00000000-0000-4000-8000-000000000000")
		n.expect(line, 0, "recorded reason  policy: roles[0]", "")
	case strings.HasPrefix(line, "onboard dlq replay "):
		n.expect(line, 0, poisonID+"/replay/1", "")
		n.eventually("onboard status mallory@contoso.com", 15*time.Second, func(r result) bool {
			return r.code == 0 && strings.HasPrefix(r.stdout, "mallory@contoso.com: Provisioned")
		})
	default:
		n.expect(line, 0, "", "")
	}
}

// runningItLocally runs the README's "Running it locally" block.
func (n *newcomer) runningItLocally(readme string) {
	t := n.t
	blocks := shBlocks(section(readme, "## Running it locally", "## Testing"))
	if len(blocks) == 0 {
		t.Fatal(`README's "Running it locally" has no sh block`)
	}
	for _, c := range commands(blocks[0]) {
		switch {
		case strings.HasPrefix(c.text, "onboard dev"):
			n.startDev(c.text)
		case strings.HasPrefix(c.text, "onboard status "):
			n.eventually(c.text, 15*time.Second, func(r result) bool { return r.code == 0 })
		default:
			n.expect(c.text, 0, "", "")
		}
	}
	if n.dev != nil {
		n.stopDev()
	}
}

// testScriptStandIn runs ./scripts/test.sh as written with recording shims
// for go, gofmt, npm and node (see the package comment above).
func (n *newcomer) testScriptStandIn(line string) {
	t := n.t
	shims, log := t.TempDir(), filepath.Join(t.TempDir(), "calls.log")
	writeShim := func(name, body string) {
		if err := os.WriteFile(filepath.Join(shims, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeShim("go", `echo "go $* ONBOARD_REQUIRE_AZURITE=$ONBOARD_REQUIRE_AZURITE" >> "$CALLS"
if [ "$1" = vet ] && [ -n "$FAIL_VET" ]; then echo "vet: something" >&2; exit 1; fi
exit 0
`)
	writeShim("gofmt", `echo "gofmt $1" >> "$CALLS"; exit 0
`)
	writeShim("node", `echo v20.20.2
`)
	writeShim("npm", `echo "npm $*" >> "$CALLS"
prefix=$3
for i in 1 2 3 4 5; do printf 'npm warn EBADENGINE Unsupported engine {\n' >&2; done
mkdir -p "$prefix/node_modules/azurite" "$prefix/node_modules/.bin"
printf '{ "name": "azurite", "version": "3.37.0" }\n' > "$prefix/node_modules/azurite/package.json"
printf '#!/bin/sh\necho 3.37.0\n' > "$prefix/node_modules/.bin/azurite-table"
chmod +x "$prefix/node_modules/.bin/azurite-table"
echo "added 453 packages in 1m"
`)
	env := []string{"PATH=" + shims + ":" + os.Getenv("PATH"), "CALLS=" + log}
	os.RemoveAll(filepath.Join(n.dir, ".tools"))
	r := n.expect(line, 0, "==> all phases passed in ", "", env...)
	out := r.stdout + r.stderr
	var at int
	for _, want := range []string{
		"==> install Azurite", "installing azurite 3.37.0 from npm", "EBADENGINE warnings are hidden", "added 453 packages",
		"==> install Azurite done in ", "==> gofmt, go vet", "==> gofmt, go vet done in ",
		"==> build (go build -race ./...: ~10-15 min with a cold Go build cache", "==> build done in ",
		"==> test (", "==> test done in ", "==> all phases passed in ",
	} {
		i := strings.Index(out[at:], want)
		if i < 0 {
			t.Errorf("./scripts/test.sh: %q missing or out of order:\n%s", want, out)
			break
		}
		at += i + len(want)
	}
	if strings.Contains(out, "EBADENGINE Unsupported") {
		t.Errorf("npm's EBADENGINE warnings were shown:\n%s", out)
	}
	calls, _ := os.ReadFile(log)
	for _, want := range []string{
		"npm install --prefix " + filepath.Join(n.dir, ".tools") + " --no-audit --no-fund --save-exact azurite@3.37.0",
		"go vet ./...", "go build -race ./...", "go test -race -count=1 -timeout 30m ./... ONBOARD_REQUIRE_AZURITE=1",
	} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("./scripts/test.sh did not run %q; calls:\n%s", want, calls)
		}
	}
	// a second run finds Azurite installed; a failing phase stops the script, named
	r = n.expect(line, 1, "azurite 3.37.0 already installed", "==> gofmt, go vet FAILED after", append(env, "FAIL_VET=1")...)
	if strings.Contains(r.stdout, "==> build") {
		t.Errorf("./scripts/test.sh went on after a failed phase:\n%s", r)
	}
	// CI calls the same command
	if ci := n.read(".ci/run"); !strings.Contains(ci, "exec "+line+"\n") {
		t.Errorf(".ci/run does not end in `exec %s`:\n%s", line, ci)
	}
}

// ptyDev is `onboard dev` in a terminal.
type ptyDev struct {
	cmd      *exec.Cmd
	tty      *os.File
	line     string
	graphsim string
	mu       sync.Mutex
	out      strings.Builder
	done     chan struct{}
	err      error
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func (d *ptyDev) read() {
	r := bufio.NewReader(d.tty)
	buf := make([]byte, 4096)
	for {
		k, err := r.Read(buf)
		d.mu.Lock()
		d.out.Write(buf[:k])
		d.mu.Unlock()
		if err != nil {
			break // EIO once the process and its terminal are gone
		}
	}
	d.err = d.cmd.Wait()
	d.tty.Close()
	close(d.done)
}

// screen is what the terminal showed, without colours and carriage returns.
func (d *ptyDev) screen() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return ansi.ReplaceAllString(strings.ReplaceAll(d.out.String(), "\r", ""), "")
}

func (d *ptyDev) kill() {
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// command is one command line of a shell block, comments stripped at the
// start of the line only.
type command struct{ text string }

// shBlocks returns the contents of the ```sh blocks of a Markdown text.
func shBlocks(md string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	return out
}

// commands splits a shell block into command lines: comments after the
// command are kept (sh ignores them), whole-line comments dropped, and a
// command's own comment trimmed only of surrounding space.
func commands(block string) []command {
	var out []command
	for _, l := range strings.Split(block, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		code, _, _ := strings.Cut(l, "  #") // README aligns comments with two or more spaces
		out = append(out, command{text: strings.TrimSpace(code)})
	}
	return out
}

// consoleCommands returns the `$ …` lines of the ```console blocks,
// joining continuation lines.
func consoleCommands(md string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```console\n(.*?)```").FindAllStringSubmatch(md, -1) {
		lines := strings.Split(m[1], "\n")
		for i := 0; i < len(lines); i++ {
			l, ok := strings.CutPrefix(lines[i], "$ ")
			if !ok {
				continue
			}
			for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
				i++
				l = strings.TrimSuffix(l, "\\") + strings.TrimSpace(lines[i])
			}
			if code, _, ok := strings.Cut(l, "  #"); ok && !strings.HasPrefix(l, "#") {
				l = code
			}
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// section is the text between two headings.
func section(md, from, to string) string {
	_, rest, ok := strings.Cut(md, "\n"+from+"\n")
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, "\n"+to+"\n")
	return body
}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}
