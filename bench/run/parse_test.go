package main

import (
	"os"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	out := `Running 15s test @ http://127.0.0.1:8080/x
  2 threads and 64 connections
  Latency Distribution
     50%    3.10ms
  120000 requests in 15.00s, 80.00MB read
Requests/sec:   8000.00
BENCH requests 120000
BENCH duration_us 15000000
BENCH status_errors 0
BENCH socket_errors 2
BENCH p50_us 3100
BENCH p90_us 6000
BENCH p99_us 17500
BENCH p99.9_us 40250
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 120000 || r.RPS() != 8000 || r.SocketErrors != 2 || r.P99 != 17500*time.Microsecond || r.P999 != 40250*time.Microsecond || r.P50 != 3100*time.Microsecond {
		t.Errorf("parsed %+v", r)
	}
	if _, err := parseWrk("Running 15s test\n  unable to connect\n"); err == nil {
		t.Error("output without the figures parsed without error")
	}
}

func TestParseProc(t *testing.T) {
	// utime 1234 and stime 56 ticks; a command name with spaces and a ')'.
	stat := "4242 (sync gate) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 8 0 100 1000000 2000 18446744073709551615"
	d, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if d != 1290*clockTick {
		t.Errorf("cpu %s, want %s", d, 1290*clockTick)
	}
	status := "Name:\tsyncgate\nVmPeak:\t  900000 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\n"
	b, err := parseStatusKB(status, "VmHWM")
	if err != nil || b != 30<<20 {
		t.Errorf("VmHWM %d, %v; want %d", b, err, 30<<20)
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("a missing line parsed without error")
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/syncgate/syncgate/internal/auth
BenchmarkTokenCheck/cold-2         	    4000	    290000 ns/op	    5120 B/op	      70 allocs/op
BenchmarkTokenCheck/cached-2       	 2000000	       612.5 ns/op	      0 B/op	       0 allocs/op
PASS
pkg: github.com/syncgate/syncgate/api
BenchmarkJobRead-2   	   10000	    120000 ns/op	         0 backend-conns	       102.8 cpu-µs/op	   20000 B/op	     180 allocs/op
ok  	github.com/syncgate/syncgate/api	3.1s
`
	res := parseGoBench(out)
	if len(res) != 3 {
		t.Fatalf("parsed %d results, want 3: %+v", len(res), res)
	}
	c, ok := findBench(res, "BenchmarkTokenCheck/cached")
	if !ok || c.NsPerOp != 612.5 || c.AllocsPerOp != 0 || c.Pkg != "github.com/syncgate/syncgate/internal/auth" {
		t.Errorf("cached: %+v", c)
	}
	r, _ := findBench(res, "BenchmarkJobRead")
	if r.AllocsPerOp != 180 || r.BytesPerOp != 20000 || r.CPUPerOp != 102.8 || r.Pkg != "github.com/syncgate/syncgate/api" {
		t.Errorf("read: %+v", r)
	}
}

func TestMedian(t *testing.T) {
	ms := []measurement{{cpuPerReq: 3}, {cpuPerReq: 1}, {cpuPerReq: 2}}
	if m := median(ms, func(m measurement) float64 { return m.cpuPerReq }); m != 2 {
		t.Errorf("median of 3, 1, 2 = %v", m)
	}
	ms = append(ms, measurement{cpuPerReq: 10})
	if m := median(ms, func(m measurement) float64 { return m.cpuPerReq }); m != 2.5 {
		t.Errorf("median of 3, 1, 2, 10 = %v", m)
	}
}

func TestCurrentRSS(t *testing.T) {
	r, err := currentRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A running Go test binary has its own pages mapped and a heap.
	if r.file <= 0 || r.anon <= 0 {
		t.Errorf("RssFile %d, RssAnon %d: want both above zero", r.file, r.anon)
	}
}
