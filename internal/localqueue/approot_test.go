package localqueue

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAppRootPrefersWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	root, source, cleanup, err := AppRoot()
	if err != nil {
		t.Fatal(err)
	}
	if source != "built-in copy" {
		t.Errorf("empty directory: source %q, want the built-in copy", source)
	}
	for _, f := range []string{"host.json", "functions/OnboardingEvents/function.json", "functions/OnboardingStatus/function.json"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("built-in copy lacks %s: %v", f, err)
		}
	}
	cleanup()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s", root)
	}

	if err := os.MkdirAll("functions/X", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("host.json", []byte(`{"version":"2.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	root, _, cleanup, err = AppRoot()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if root != "." {
		t.Errorf("with ./host.json and ./functions: root %q, want .", root)
	}
}
