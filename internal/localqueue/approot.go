package localqueue

import (
	"fmt"
	"os"

	onboard "github.com/b2b-onboarding/onboard"
)

// AppRoot returns the folder the host emulator loads host.json and
// functions/*/function.json from: the working directory when it holds both
// (a checkout, so edits to function.json take effect), else a temporary
// copy of the files embedded in the binary; cleanup removes that copy.
func AppRoot() (root, source string, cleanup func(), err error) {
	if st, err := os.Stat("functions"); err == nil && st.IsDir() {
		if _, err := os.Stat("host.json"); err == nil {
			wd, _ := os.Getwd()
			return ".", wd, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "onboard-app-")
	if err != nil {
		return "", "", nil, fmt.Errorf("app files: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.CopyFS(dir, onboard.AppFiles); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("app files: %w", err)
	}
	return dir, "built-in copy", cleanup, nil
}
