package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestExitCodes: 0 for success and help, 2 for a command line that cannot
// run (printed once, with where to find the usage), 1 when the command
// fails.
func TestExitCodes(t *testing.T) {
	t.Chdir(t.TempDir()) // no local.settings.json
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	stdin := os.Stdin
	os.Stdin = devNull // not a terminal: dlq purge cannot ask
	t.Cleanup(func() { os.Stdin = stdin; devNull.Close() })
	for _, name := range []string{"ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace", "ONBOARDING_QUEUE"} {
		t.Setenv(name, "")
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring; "" wants an empty stderr
	}{
		{[]string{}, exitOK, "Available Commands:", ""},
		{[]string{"--help"}, exitOK, "Available Commands:", ""},
		{[]string{"help", "dev"}, exitOK, "--max-delivery-count", ""},
		{[]string{"dlq", "--help"}, exitOK, "replay", ""},
		{[]string{"status", "-h"}, exitOK, "--json", ""},
		{[]string{"completion", "bash"}, exitOK, "bash completion", ""},
		{[]string{"frob"}, exitUsage, "", `unknown command "frob"`},
		{[]string{"serve", "--nope"}, exitUsage, "", "unknown flag: --nope"},
		{[]string{"serve", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"status"}, exitUsage, "", "want one onboarding key"},
		{[]string{"send", "a.json", "b.json"}, exitUsage, "", "one FILE at a time"},
		{[]string{"dlq"}, exitUsage, "", "missing action"},
		{[]string{"dlq", "frob"}, exitUsage, "", `unknown action "frob"`},
		{[]string{"dlq", "show"}, exitUsage, "", "one MESSAGE-ID"},
		{[]string{"dlq", "list", "x"}, exitUsage, "", "want no arguments"},
		{[]string{"dlq", "replay", "a", "b"}, exitUsage, "", "one MESSAGE-ID"},
		{[]string{"dlq", "purge", "--dev-url", "http://127.0.0.1:1"}, exitUsage, "", "confirm with --yes"},
		{[]string{"list", "--phase", "Done"}, exitUsage, "", `--phase "Done": must be one of New, Invited`},
		{[]string{"list", "x"}, exitUsage, "", `unexpected argument "x"`},
		{[]string{"list", "--dev-url", "http://127.0.0.1:1"}, exitFailure, "", "is `onboard dev` running?"},
		{[]string{"list", "--help"}, exitOK, "--phase", ""},
		{[]string{"events", "--topic", "onboarding outcomes", "--dev-url", "http://127.0.0.1:1"}, exitUsage, "", `--topic: must be 1 to 260 letters, digits`},
		{[]string{"events", "--subscription", "a b", "--dev-url", "http://127.0.0.1:1"}, exitUsage, "", `--subscription: must be 1 to 50 letters, digits`},
		{[]string{"events", "--subscription", "a/b", "--dev-url", "http://127.0.0.1:1"}, exitUsage, "", "--subscription: must be 1 to 50 letters, digits, '.', '-' or '_'"},
		{[]string{"send", "a.json", "--queue", "onboarding queue", "--dev-url", "http://127.0.0.1:1"}, exitUsage, "", `--queue: must be 1 to 260 letters, digits`},
		{[]string{"dlq", "list", "--queue", "-onboarding", "--dev-url", "http://127.0.0.1:1"}, exitUsage, "", `--queue: must be 1 to 260 letters, digits`},
		{[]string{"send", "a.json", "--dev-url", "ftp://127.0.0.1:1"}, exitUsage, "", `--dev-url: dev url "ftp://127.0.0.1:1": must be an absolute http URL`},
		{[]string{"list", "--dev-url", "::bad"}, exitUsage, "", `--dev-url: dev url "::bad": must be an absolute http URL`},
		{[]string{"doctor", "--app-sp", "my-app"}, exitUsage, "", `--app-sp "my-app": must be the service principal's object id`},
		{[]string{"dev", "--lock-duration", "0s"}, exitUsage, "", "--lock-duration: must be more than 0"},
		{[]string{"dev", "--addr", "0.0.0.0:7071"}, exitUsage, "", "must be a loopback address"},
		{[]string{"dev", "--max-delivery-count", "many"}, exitUsage, "", "invalid argument \"many\""},
		{[]string{"dev", "--color", "sometimes"}, exitUsage, "", `--color "sometimes": must be auto, always or never`},
		{[]string{"send", "missing.json", "--dev-url", "http://127.0.0.1:1"}, exitFailure, "", "FILE missing.json: no such file"},
		{[]string{"status", "ada@fabrikam.com", "--dev-url", "http://127.0.0.1:1"}, exitFailure, "", "is `onboard dev` running"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.stdout)
			}
			switch {
			case tc.stderr == "" && stderr.Len() > 0:
				t.Errorf("stderr %q, want none", stderr.String())
			case !strings.Contains(stderr.String(), tc.stderr):
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderr)
			case tc.stderr != "" && strings.Count(stderr.String(), tc.stderr) != 1:
				t.Errorf("stderr %q says %q more than once", stderr.String(), tc.stderr)
			case code == exitUsage && !strings.Contains(stderr.String(), "--help' for usage"):
				t.Errorf("stderr %q: a usage error should say where the usage is", stderr.String())
			}
		})
	}
}

// TestFlagsAnywhere: flags may come before, between or after the
// positional arguments (`onboard status ada@x.com --json`); "--" ends them.
func TestFlagsAnywhere(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"key":"ada@fabrikam.com","phase":"Invited"}`)
	}))
	defer srv.Close()
	for _, args := range [][]string{
		{"status", "ada@fabrikam.com", "--json", "--dev-url", srv.URL},
		{"status", "--json", "ada@fabrikam.com", "--dev-url=" + srv.URL},
		{"status", "--dev-url", srv.URL, "--json", "--", "--ada"},
	} {
		var stdout, stderr strings.Builder
		if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(stdout.String()), &rec); err != nil || rec["phase"] != "Invited" {
			t.Errorf("%v: stdout %q is not the record as JSON (%v)", args, stdout.String(), err)
		}
	}
	if want := "/api/onboarding/--ada"; paths[2] != want {
		t.Errorf("after --: asked %s, want %s", paths[2], want)
	}
}
