//go:build unix

package chaos

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// TestChaosShort is the chaos run inside `go test ./...` (skipped with
// -short): 40 onboardings, at least two kills, every kind of fault, about
// a minute after the onboard binary is built. CHAOS_* variables do not
// change it, except CHAOS_BIN (a built onboard) and CHAOS_KEEP.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs onboard graphsim and onboard dev as processes for about a minute")
	}
	c := ShortConfig()
	c.Bin = os.Getenv("CHAOS_BIN")
	c.Keep, _ = strconv.ParseBool(os.Getenv("CHAOS_KEEP"))
	runChaos(t, c)
}

// runChaos runs c, prints the summary line on stdout and fails the test
// on any count above 0, or when the run was too weak to tell (no kill, no
// message acknowledged).
func runChaos(t *testing.T, c Config) {
	t.Helper()
	t.Logf("seed %d (CHAOS_SEED reproduces the plan)", c.Seed)
	res, err := Run(t.Context(), c, t.Logf)
	if err != nil {
		t.Fatalf("chaos run: %v (work dir %s)", err, res.WorkDir)
	}
	fmt.Println(res.Line())
	logLines(t, "findings", res.Findings)
	logLines(t, "notes", res.Notes)
	if res.Kills < c.MinKills {
		t.Errorf("only %d kills, want at least %d (CHAOS_TIMEOUT %s too short?)", res.Kills, c.MinKills, c.Timeout)
	}
	if res.Acked < res.Messages/2 {
		t.Errorf("only %d of %d messages acknowledged: the run says little", res.Acked, res.Messages)
	}
	if res.Failures() > 0 {
		t.Errorf("%s\nlogs and data kept in %s", res.Line(), res.WorkDir)
	}
}

// logLines logs up to 40 lines of a list.
func logLines(t *testing.T, what string, lines []string) {
	t.Helper()
	const show = 40
	for i, l := range lines {
		if i == show {
			t.Logf("… and %d more %s", len(lines)-show, what)
			break
		}
		t.Log(l)
	}
}
