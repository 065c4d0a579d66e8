package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/internal/syncbuf"
)

// built is the onboard binary, built once by buildOnboard for the tests
// that run it as a process.
var built struct {
	once sync.Once
	dir  string // removed by TestMain
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// syncBuffer is a concurrency-safe log sink.
type syncBuffer = syncbuf.Buffer

// repoFile is a path of the repository, from this package's directory.
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}
