package azurite

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill Azurite if the test binary dies
// without calling Stop (a crash or a timeout panic), so no stray Azurite
// keeps running.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
