package chaos

import "syscall"

// procAttr puts a child in its own process group (so a kill reaches all of
// it) and has the kernel kill it if the test process dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
