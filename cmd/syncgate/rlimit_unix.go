//go:build unix

package main

import "syscall"

// openFileLimit is the process's soft limit on open files.
func openFileLimit() (int, bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<30 { // unlimited (RLIM_INFINITY) or too large to matter
		return 0, false
	}
	return int(l.Cur), true
}
