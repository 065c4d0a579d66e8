//go:build unix

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/internal/devrun"
)

// TestDevKeepsGraphsimTenantAcrossRestarts (issue 14): graphsim's tenant
// lives in --data-dir with the queues and records, and --graphsim-addr
// pins its port. A guest invited before a restart is the same user after
// it, and her reminder after the restart finds her ("Completed" once she
// accepted) instead of failing with "guest … no longer exists".
func TestDevKeepsGraphsimTenantAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs onboard dev as a process")
	}
	bin := buildOnboard(t)
	work, dataDir := t.TempDir(), filepath.Join(t.TempDir(), "data")
	simAddr := freeAddr(t)
	env := cleanEnv()
	args := []string{"--data-dir", dataDir, "--graphsim-addr", simAddr, "--reminder-schedule", "4s,8s", "--expire-after", "30s"}
	dev := startDev(t, bin, work, env, args...)
	defer func() {
		if t.Failed() {
			t.Logf("dev stdout:\n%s\ndev stderr:\n%s", dev.stdout, dev.stderr)
		}
	}()
	if dev.graphsim != "http://"+simAddr {
		t.Fatalf("graphsim at %s, want the pinned %s", dev.graphsim, simAddr)
	}
	wholeBanner(t, dev)
	if !strings.Contains(dev.stdout.String(), "sample tenant, kept in "+filepath.Join(dataDir, devrun.GraphsimFile)) {
		t.Errorf("the banner does not say where the tenant is kept:\n%s", dev.stdout)
	}
	run := func(args ...string) string {
		t.Helper()
		return onboardOK(t, bin, work, env, dev.devURL, args...)
	}
	example, err := filepath.Abs(repoFile("examples", "partner-approved.json"))
	if err != nil {
		t.Fatal(err)
	}
	run("send", example)
	var before string
	eventually(t, "Grace invited", 15*time.Second, 100*time.Millisecond, func() bool {
		us := usersWithMail(simState(t, dev.graphsim), graceMail)
		if len(us) == 1 {
			before = us[0].ID
		}
		return before != ""
	})
	dev.stop(t)
	if _, err := os.Stat(filepath.Join(dataDir, devrun.GraphsimFile)); err != nil {
		t.Fatalf("no tenant file after the first run: %v", err)
	}

	dev = startDev(t, bin, work, env, args...)
	if dev.graphsim != "http://"+simAddr {
		t.Errorf("graphsim moved to %s after the restart, want the pinned %s", dev.graphsim, simAddr)
	}
	wholeBanner(t, dev)
	if !strings.Contains(dev.stdout.String(), "restored from "+filepath.Join(dataDir, devrun.GraphsimFile)) {
		t.Errorf("the banner does not say the tenant was restored:\n%s", dev.stdout)
	}
	us := usersWithMail(simState(t, dev.graphsim), graceMail)
	if len(us) != 1 || us[0].ID != before {
		t.Fatalf("after the restart Grace is %+v, want the one guest %s", us, before)
	}
	resp, err := http.Post(dev.graphsim+"/_sim/users/"+graceMail+"/accept", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("accept Grace: %v %v", err, resp)
	}
	resp.Body.Close()
	eventually(t, "Grace Completed at her first reminder after the restart", 20*time.Second, 200*time.Millisecond, func() bool {
		var rec struct{ Phase string }
		return json.Unmarshal([]byte(run("status", graceMail, "--json")), &rec) == nil && rec.Phase == "Completed"
	})
	if strings.Contains(dev.stderr.String(), "no longer exists") {
		t.Errorf("dev logged a vanished guest:\n%s", dev.stderr)
	}
	if n := len(usersWithMail(simState(t, dev.graphsim), graceMail)); n != 1 {
		t.Errorf("%d users for Grace after the restart, want 1", n)
	}
	dev.stop(t)
}

// wholeBanner waits until dev has printed its banner to the end (startDev
// returns at the graphsim line).
func wholeBanner(t *testing.T, dev *devProcess) {
	t.Helper()
	eventually(t, "the whole banner", 10*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(dev.stdout.String(), "Ctrl-C stops.")
	})
}
