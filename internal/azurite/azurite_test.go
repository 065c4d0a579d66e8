package azurite

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// TestStartServesTables starts a real Azurite and talks HTTP to it: the
// table endpoint answers as a Table service (an unauthenticated query is
// refused with a Table Storage error, not a connection error).
func TestStartServesTables(t *testing.T) {
	srv := Shared(t)
	if !strings.HasPrefix(srv.TableURL, "http://127.0.0.1:") || !strings.HasSuffix(srv.TableURL, "/"+AccountName) {
		t.Fatalf("TableURL = %q, want loopback URL of the dev account", srv.TableURL)
	}
	resp, err := http.Get(srv.TableURL + "/Tables")
	if err != nil {
		t.Fatalf("GET Tables: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "AuthorizationFailure") {
		t.Fatalf("unauthenticated GET Tables = %d %s, want 403 AuthorizationFailure", resp.StatusCode, body)
	}
	cs := srv.ConnectionString()
	for _, part := range []string{"AccountName=devstoreaccount1", "AccountKey=" + AccountKey, "TableEndpoint=" + srv.TableURL} {
		if !strings.Contains(cs, part) {
			t.Errorf("ConnectionString %q lacks %q", cs, part)
		}
	}
}

// TestStop: a second server starts and stops on its own port, and after
// Stop nothing listens there any more.
func TestStop(t *testing.T) {
	if _, err := Find(); err != nil {
		Shared(t) // skip or fail with the standard message
	}
	srv, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(strings.TrimSuffix(srv.TableURL, "/"+AccountName), "http://")
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("something still listens on %s after Stop", addr)
	}
	if _, err := os.Stat(srv.workDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory %s not removed: %v", srv.workDir, err)
	}
}

func TestFindNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/go.mod", []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if p, err := Find(); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Find in a module without .tools = %q, %v; want ErrNotInstalled", p, err)
	}
}

func TestRequired(t *testing.T) {
	cases := []struct {
		ci, require string
		want        bool
	}{
		{"", "", false},
		{"true", "", true},
		{"", "1", true},
		{"", "0", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("CI=%q,REQUIRE=%q", c.ci, c.require), func(t *testing.T) {
			t.Setenv("CI", c.ci)
			t.Setenv("ONBOARD_REQUIRE_AZURITE", c.require)
			if got := Required(); got != c.want {
				t.Errorf("Required() = %v, want %v", got, c.want)
			}
		})
	}
}

// TestOlderAzuriteWithoutOption: an Azurite that rejects an optional flag
// (as releases before --disableTelemetry did) is started without it. The
// fake on PATH refuses the flag the way Azurite does and otherwise runs the
// real one.
func TestOlderAzuriteWithoutOption(t *testing.T) {
	real, err := Find()
	if err != nil {
		Shared(t)
	}
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script")
	}
	bin := t.TempDir()
	script := "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = --disableTelemetry ]; then\n" +
		"    echo 'The option \"disableTelemetry\" is unknown. Did you mean the following one?'; exit 0\n  fi\ndone\n" +
		"exec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, Binary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	srv, err := Start(t.Context())
	if err != nil {
		t.Fatalf("Start with an Azurite that lacks --disableTelemetry: %v", err)
	}
	defer srv.Stop()
	if slices.Contains(srv.cmd.Args, "--disableTelemetry") || !slices.Contains(srv.cmd.Args, "--skipApiVersionCheck") {
		t.Fatalf("started with %q, want --skipApiVersionCheck but not --disableTelemetry", srv.cmd.Args)
	}
}
