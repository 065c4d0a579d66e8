package deploytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot returns the directory holding go.mod, walking up from the
// test's working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// replaceOnce returns s with old replaced by new, failing the test when old
// does not occur exactly once (so a mutation never silently misses).
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("mutation target %q occurs %d times, want 1", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// problemsText renders problems one per line for failure messages.
func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  " + p.Error())
	}
	return b.String()
}
