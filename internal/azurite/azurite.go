// Package azurite starts Azurite's Table service (the npm package
// `azurite`, see scripts/install-azurite.sh) for tests, so that Table
// Storage code is tested against a real Table endpoint rather than a stub.
//
// Typical use in a package's tests:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		azurite.StopShared()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		srv := azurite.Shared(t) // skips when Azurite is not installed, fails in CI
//		... srv.ConnectionString() ...
//	}
package azurite

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The well-known development account every Azurite serves (public, not a
// secret: https://learn.microsoft.com/azure/storage/common/storage-use-azurite).
const (
	AccountName = "devstoreaccount1"
	AccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Binary is the name of Azurite's table-only executable.
const Binary = "azurite-table"

// ErrNotInstalled is returned by Find (and wrapped by Start) when no
// azurite-table executable is found.
var ErrNotInstalled = errors.New("azurite-table not found on PATH or in <repo>/.tools/node_modules/.bin (install it with scripts/install-azurite.sh)")

// Find returns the path of azurite-table: from PATH, else from
// .tools/node_modules/.bin under the module root (the nearest directory
// above the working directory holding go.mod).
func Find() (string, error) {
	if p, err := exec.LookPath(Binary); err == nil {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			name := Binary
			if runtime.GOOS == "windows" {
				name += ".cmd"
			}
			p := filepath.Join(dir, ".tools", "node_modules", ".bin", name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			return "", ErrNotInstalled
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotInstalled
		}
		dir = parent
	}
}

// Server is a running Azurite Table service on 127.0.0.1 with in-memory
// persistence: its data vanishes when it stops.
type Server struct {
	// TableURL is the table service URL of the development account,
	// e.g. http://127.0.0.1:41234/devstoreaccount1.
	TableURL string

	cmd     *exec.Cmd
	client  *http.Client
	workDir string
	out     *tail
	exited  chan struct{}
	waitErr error
}

// HTTPClient returns an HTTP client for the server: it trusts the
// server's certificate when it serves HTTPS (an *http.Client is a valid
// aztables ClientOptions.Transport).
func (s *Server) HTTPClient() *http.Client { return s.client }

// ConnectionString returns a storage connection string for the server, in
// the form Functions apps use for AzureWebJobsStorage.
func (s *Server) ConnectionString() string {
	return "DefaultEndpointsProtocol=http;AccountName=" + AccountName + ";AccountKey=" + AccountKey +
		";TableEndpoint=" + s.TableURL + ";"
}

// Options select optional Azurite features.
type Options struct {
	// TLS serves HTTPS with a fresh self-signed certificate for
	// 127.0.0.1; Server.HTTPClient trusts it.
	TLS bool
	// OAuth makes Azurite check bearer tokens ("--oauth basic": lifetime,
	// issuer and audience, not the signature); it implies TLS, as Azurite
	// accepts bearer tokens only over HTTPS. See Credential.
	OAuth bool
}

// Start finds azurite-table and starts it on a free loopback port, waiting
// (up to ctx's deadline, or 60 s) until it accepts connections.
func Start(ctx context.Context) (*Server, error) {
	return StartWith(ctx, Options{})
}

// StartWith is Start with options.
func StartWith(ctx context.Context, opts Options) (*Server, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
	}
	optional := []string{"--skipApiVersionCheck", "--disableTelemetry"}
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		s, err := start(ctx, bin, optional, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		var unknown *unknownOptionError
		switch {
		case errors.As(err, &unknown):
			// An older Azurite: drop the option it does not know.
			optional = remove(optional, "--"+unknown.option)
		case errors.Is(err, errAddrInUse):
			// Someone took the free port between probe and start; try another.
		default:
			return nil, err
		}
	}
	return nil, lastErr
}

var errAddrInUse = errors.New("port already in use")

type unknownOptionError struct{ option, output string }

func (e *unknownOptionError) Error() string {
	return fmt.Sprintf("azurite-table does not know option --%s: %s", e.option, e.output)
}

func remove(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

func start(ctx context.Context, bin string, optional []string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--tableHost", "127.0.0.1", "--tablePort", strconv.Itoa(port),
		"--inMemoryPersistence", "--silent",
	}, optional...)
	scheme, client := "http", http.DefaultClient
	if opts.TLS || opts.OAuth {
		certFile, keyFile, pool, err := selfSignedCert(work)
		if err != nil {
			os.RemoveAll(work)
			return nil, err
		}
		args = append(args, "--cert", certFile, "--key", keyFile)
		scheme = "https"
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	if opts.OAuth {
		args = append(args, "--oauth", "basic")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = work // Azurite may still drop files in its working directory
	out := &tail{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{
		TableURL: fmt.Sprintf("%s://127.0.0.1:%d/%s", scheme, port, AccountName),
		cmd:      cmd, workDir: work, out: out, exited: make(chan struct{}), client: client,
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.exited:
			os.RemoveAll(work)
			text := out.String()
			if i := strings.Index(text, `The option "`); i >= 0 {
				opt, _, _ := strings.Cut(text[i+len(`The option "`):], `"`)
				return nil, &unknownOptionError{option: opt, output: text}
			}
			if strings.Contains(text, "EADDRINUSE") {
				return nil, fmt.Errorf("azurite-table on port %d: %w", port, errAddrInUse)
			}
			return nil, fmt.Errorf("azurite-table exited before accepting connections (%v): %s", s.waitErr, text)
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("azurite-table not accepting connections on %s: %w; output: %s", addr, ctx.Err(), out.String())
		case <-tick.C:
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				conn.Close()
				return s, nil
			}
		}
	}
}

// Stop ends the server (interrupt, then kill after 5 s) and removes its
// working directory. It is safe to call more than once.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
	default:
		if runtime.GOOS == "windows" || s.cmd.Process.Signal(os.Interrupt) != nil {
			s.cmd.Process.Kill()
		}
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	return os.RemoveAll(s.workDir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}

// Required reports whether tests must fail, not skip, when Azurite is
// missing: in CI (CI non-empty) or when ONBOARD_REQUIRE_AZURITE=1.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("ONBOARD_REQUIRE_AZURITE") == "1"
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the Azurite server shared by the tests of this test
// binary, starting it on first use. When Azurite cannot be started, the
// test is skipped with the reason, or fails if Required. Call StopShared
// from TestMain after m.Run.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		start := time.Now()
		shared.srv, shared.err = Start(context.Background())
		if shared.err == nil {
			fmt.Fprintf(os.Stderr, "azurite: table service at %s (started in %s)\n", shared.srv.TableURL, time.Since(start).Round(time.Millisecond))
		}
	})
	if shared.err != nil {
		if Required() {
			t.Fatalf("Azurite is required here (CI or ONBOARD_REQUIRE_AZURITE=1) but could not start: %v", shared.err)
		}
		t.Skipf("skipping Table Storage test: %v", shared.err)
	}
	return shared.srv
}

// StopShared stops the server started by Shared, if any.
func StopShared() {
	if shared.srv != nil {
		shared.srv.Stop()
	}
}

// StartForTest starts a server of the test's own (stopped when the test
// ends), for options the shared one does not have. Like Shared, it skips
// the test when Azurite is missing, or fails it when Required.
func StartForTest(t testing.TB, opts Options) *Server {
	t.Helper()
	srv, err := StartWith(context.Background(), opts)
	if err != nil {
		if Required() {
			t.Fatalf("Azurite is required here (CI or ONBOARD_REQUIRE_AZURITE=1) but could not start: %v", err)
		}
		t.Skipf("skipping Table Storage test: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}
