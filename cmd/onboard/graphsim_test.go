package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graphsim"
)

// TestGraphsimHelperProcess is not a test: the command test below re-runs
// the test binary with GRAPHSIM_HELPER=1 to get a real `onboard graphsim`
// process (main's dispatch, real stdout) without a separate go build.
func TestGraphsimHelperProcess(t *testing.T) {
	if os.Getenv("GRAPHSIM_HELPER") != "1" {
		t.Skip("helper process only")
	}
	os.Args = append([]string{"onboard", "graphsim"}, strings.Fields(os.Getenv("GRAPHSIM_ARGS"))...)
	main()
	os.Exit(0)
}

func TestGraphsimCommand(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestGraphsimHelperProcess$")
	cmd.Env = append(os.Environ(), "GRAPHSIM_HELPER=1",
		"GRAPHSIM_ARGS=--addr 127.0.0.1:0 --domain contoso.onmicrosoft.com --invite-limit 1 --replication-lag 1ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	lines := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(l)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case base = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("no base URL on stdout; stderr: %s", stderr.String())
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1.0") {
		t.Fatalf("first line = %q, want http://127.0.0.1:PORT/v1.0", base)
	}
	get := func(url string, v any) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("decode %s: %v", url, err)
		}
		return resp.StatusCode
	}
	var group map[string]any
	if st := get(base+"/groups/"+graphsim.SampleGroupApollo, &group); st != 200 || group["mail"] != "projectapollo@contoso.onmicrosoft.com" {
		t.Errorf("GET group: %d %v", st, group)
	}
	var knobs map[string]any
	root := strings.TrimSuffix(base, "/v1.0")
	if st := get(root+"/_sim/knobs", &knobs); st != 200 || knobs["inviteLimit"] != 1.0 || knobs["replicationLag"] != "1ms" {
		t.Errorf("knobs from flags: %d %v", st, knobs)
	}
}

func TestGraphsimFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, "not a loopback"},
		{[]string{"--addr", "nonsense"}, "--addr"},
		{[]string{"--failure-rate", "2"}, "failureRate"},
		{[]string{"--seed", "/does/not/exist.json"}, "read seed"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var stderr strings.Builder
			code := run(ctx, append([]string{"graphsim"}, c.args...), io.Discard, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), c.msg) {
				t.Errorf("exit %d, stderr %q; want %d and a message mentioning %q", code, stderr.String(), exitUsage, c.msg)
			}
		})
	}
}
