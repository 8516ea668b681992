package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// cpuTime is the user plus system CPU time a process has used, all its
// threads together, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat
// line. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat line has no command name")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat line has %d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat line: utime %q, stime %q are not numbers", f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// peakRSS is the process's peak resident set size (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	status, err := readStatus(pid)
	if err != nil {
		return 0, err
	}
	return parseStatusKB(status, "VmHWM")
}

// readStatus is /proc/<pid>/status.
func readStatus(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return string(data), err
}

// rssSplit is a resident set at one moment: the pages of files mapped into
// the process (for a Go program, its own binary) and its anonymous memory
// (heap, goroutine stacks, the runtime's metadata).
type rssSplit struct{ file, anon int64 }

func (r rssSplit) total() int64 { return r.file + r.anon }

// currentRSS reads RssFile and RssAnon from /proc/<pid>/status.
func currentRSS(pid int) (rssSplit, error) {
	status, err := readStatus(pid)
	if err != nil {
		return rssSplit{}, err
	}
	file, err := parseStatusKB(status, "RssFile")
	if err != nil {
		return rssSplit{}, err
	}
	anon, err := parseStatusKB(status, "RssAnon")
	return rssSplit{file: file, anon: anon}, err
}

// sampleRSS reads the process's resident set every interval until stop is
// closed and sends the largest sample.
func sampleRSS(pid int, interval time.Duration, stop <-chan struct{}) <-chan rssSplit {
	out := make(chan rssSplit, 1)
	go func() {
		var top rssSplit
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if r, err := currentRSS(pid); err == nil && r.total() > top.total() {
				top = r
			}
			select {
			case <-stop:
				out <- top
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// parseStatusKB reads a "Name:  123 kB" line of /proc/<pid>/status, in bytes.
func parseStatusKB(status, name string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		rest, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s line %q is not \"<n> kB\"", name, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s line %q: %w", name, line, err)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}

// resetPeakRSS starts a new VmHWM window for the process (Linux ≥ 4.0:
// writing 5 to clear_refs sets the peak to the current RSS). It reports
// whether that worked; when not, VmHWM is the peak since the process started.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}
