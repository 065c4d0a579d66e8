//go:build !linux

package azurite

import "os/exec"

// setDeathSignal is a no-op where the kernel offers no parent-death signal.
func setDeathSignal(*exec.Cmd) {}
