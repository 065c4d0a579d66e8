package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// cleanSettings runs the test in an empty directory (no
// local.settings.json) without the app settings of the shell.
func cleanSettings(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"ServiceBusConnection", "ServiceBusConnection__fullyQualifiedNamespace", "ONBOARDING_QUEUE",
		"POLICY_ALLOWED_SOURCES", "POLICY_ALLOWED_GROUPS", "POLICY_ALLOWED_ROLES", "POLICY_ALLOWED_APPS", "EVENT_TYPE_ALIASES"} {
		t.Setenv(name, "")
	}
	return dir
}

// example is the absolute path of a file in examples/.
func example(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// badEvent has a typo'd type, an unknown field, an invalid address and a
// privileged role: every one must be named.
const badEvent = `{"specversion":"1.0","type":"partner-aproved","source":"/procurement/partners","id":"bad-1",
 "data":{"requestId":"PR-9","email":"ada(at)fabrikam.com","emial":"x","roles":["62e90394-69f5-4237-9190-012177145e10"]}}`

func TestValidateCommand(t *testing.T) {
	valid, data, poisoned := example(t, "partner-approved.json"), example(t, "ada.json"), example(t, "poisoned-privileged-role.json")
	dir := cleanSettings(t)
	bad := filepath.Join(dir, "bad.json")
	badData := filepath.Join(dir, "bad-data.json")
	os.WriteFile(bad, []byte(badEvent), 0o644)
	os.WriteFile(badData, []byte(`{"requestId":"","email":"ada@fabrikam.com","userType":"Admin","groups":["not-a-guid"]}`), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout []string // each in stdout
		not    []string // none in stdout
		stderr string
	}{
		{"examples valid under dev's settings", []string{"validate", valid, data}, nil, exitOK,
			[]string{valid + ": ok (partner-approved event c1f6e0b2", data + ": ok (partner-approved event"}, nil, ""},
		{"poisoned example", []string{"validate", valid, poisoned}, nil, exitFailure,
			[]string{valid + ": ok", poisoned + ": 1 problem\n  policy: roles[0]: "}, nil, "1 of 2 file(s) have problems"},
		{"every problem of one event", []string{"validate", bad}, nil, exitFailure,
			[]string{bad + ": 1 problem\n  type: unsupported event type \"partner-aproved\""}, nil, "1 of 1"},
		{"every problem of the data", []string{"validate", badData}, nil, exitFailure,
			[]string{badData + ": 3 problems\n", "  requestId: required\n", "  userType: must be Guest or Member", "  groups[0]: must be an object id (GUID)"}, nil, ""},
		{"serve settings: source not allowed", []string{"validate", "--settings", "serve", valid}, nil, exitFailure,
			[]string{"policy: source: CloudEvent source \"/procurement/partners\" is not in POLICY_ALLOWED_SOURCES", "policy: groups[0]", "policy: applications[0]"}, nil, ""},
		{"serve settings that allow it", []string{"validate", "--settings=serve", valid},
			map[string]string{"POLICY_ALLOWED_SOURCES": "/procurement/partners", "POLICY_ALLOWED_GROUPS": "*", "POLICY_ALLOWED_APPS": "*"}, exitOK,
			[]string{valid + ": ok"}, nil, ""},
		{"bad settings", []string{"validate", valid}, map[string]string{"POLICY_ALLOWED_APPS": "nope"}, exitFailure,
			nil, []string{"ok"}, "POLICY_ALLOWED_APPS"},
		{"missing file", []string{"validate", "nope.json"}, nil, exitFailure, []string{"nope.json: 1 problem\n  FILE nope.json: no such file"}, nil, ""},
		{"no file", []string{"validate"}, nil, exitUsage, nil, nil, "want at least one FILE"},
		{"bad --settings", []string{"validate", "--settings", "prod", valid}, nil, exitUsage, nil, nil, "must be dev or serve"},
		{"help", []string{"validate", "--help"}, nil, exitOK, []string{"Exit status: 0 when every file is valid"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr strings.Builder
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout %q lacks %q", stdout.String(), s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(stdout.String(), s) {
					t.Errorf("stdout %q has %q", stdout.String(), s)
				}
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderr)
			}
		})
	}
}

// TestSendValidatesFirst: send refuses an event validate refuses (exit 1,
// every problem on stderr, no request to the dev runtime) unless
// --no-validate, and sends a valid one.
func TestSendValidatesFirst(t *testing.T) {
	valid := example(t, "partner-approved.json")
	dir := cleanSettings(t)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(badEvent), 0o644)
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/_dev/validate" {
			http.NotFound(w, r) // a dev runtime without the route: send judges by dev's settings here
			return
		}
		if r.Method == http.MethodPost {
			sent = append(sent, r.Header.Get("X-Message-Id")+" "+r.URL.Path)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"messageId":"`+r.Header.Get("X-Message-Id")+`","sequenceNumber":1}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		sends  int
		stderr []string
	}{
		{"bad event", []string{"send", bad}, exitFailure, 0, []string{"event bad-1: 1 problem", `type: unsupported event type "partner-aproved"`, "nothing sent"}},
		{"unknown data field", []string{"send", "--type", "partner-approved", "--data", `{"requestId":"PR-1","email":"ada@fabrikam.com","emial":"x"}`}, exitFailure, 0,
			[]string{"emial: unknown field", "nothing sent"}},
		{"bad event, --no-validate", []string{"send", "--no-validate", bad}, exitOK, 1, nil},
		{"valid example", []string{"send", valid}, exitOK, 1, []string{"sent partner-approved event c1f6e0b2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			sent = nil
			mu.Unlock()
			var stdout, stderr strings.Builder
			code := run(context.Background(), append(tc.args, "--dev-url", srv.URL), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.code, stderr.String())
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr %q lacks %q", stderr.String(), s)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(sent) != tc.sends {
				t.Errorf("sent %v, want %d message(s)", sent, tc.sends)
			}
		})
	}
}

// TestDevRefusesInvalidOverriddenSettings: dev replaces REMINDER_SCHEDULE
// and GRAPH_AUTH with its own values, but a value that is wrong on its own
// stops it (exit 1) naming the setting and the rule, instead of being
// silently ignored.
func TestDevRefusesInvalidOverriddenSettings(t *testing.T) {
	cleanSettings(t)
	t.Setenv("REMINDER_SCHEDULE", "abc")
	t.Setenv("GRAPH_AUTH", "bogus")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"dev", "--in-memory", "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, exitFailure, stderr.String())
	}
	for _, want := range []string{`REMINDER_SCHEDULE: entry 1: invalid duration "abc"`, `GRAPH_AUTH: must be one of managedidentity, default, none, got "bogus"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
}
