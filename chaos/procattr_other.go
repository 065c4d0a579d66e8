//go:build unix && !linux

package chaos

import "syscall"

// procAttr puts a child in its own process group, so a kill reaches all of
// it (no parent-death signal outside Linux: the run kills its children
// itself on every way out).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
