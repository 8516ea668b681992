package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// doneLua is appended to every wrk script: it prints the figures the runner
// reads, one "BENCH <name> <value>" line each, after wrk's own summary.
const doneLua = `
done = function(summary, latency, requests)
  io.write("BENCH requests ", summary.requests, "\n")
  io.write("BENCH duration_us ", summary.duration, "\n")
  io.write("BENCH status_errors ", summary.errors.status, "\n")
  io.write("BENCH socket_errors ", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, "\n")
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("BENCH p%g_us %d\n", p, latency:percentile(p)))
  end
end
`

// writeScripts writes the GET and POST wrk scripts into dir.
func writeScripts(dir string) (get, post string, err error) {
	get = filepath.Join(dir, "get.lua")
	post = filepath.Join(dir, "post.lua")
	if err = os.WriteFile(get, []byte(`wrk.method = "GET"`+"\n"+doneLua), 0o644); err != nil {
		return
	}
	err = os.WriteFile(post, []byte(`wrk.method = "POST"`+"\n"+doneLua), 0o644)
	return
}

// load is one wrk run's settings.
type load struct {
	threads, conns int
	duration       time.Duration
	script         string
	url            string
	auth           string // Authorization header value
}

// args are wrk's arguments for l.
func (l load) args() []string {
	return []string{"-t", strconv.Itoa(l.threads), "-c", strconv.Itoa(l.conns), "-d", fmt.Sprintf("%ds", int(l.duration.Seconds())),
		"--timeout", "10s", "--latency", "-s", l.script, "-H", "Authorization: " + l.auth, l.url}
}

// command is the shell line of l, with the token shortened, for the report.
func (l load) command() string {
	var b strings.Builder
	b.WriteString("wrk")
	for _, a := range l.args() {
		if strings.HasPrefix(a, "Authorization: ") {
			a = "Authorization: Bearer $TOKEN"
		}
		if strings.ContainsAny(a, " $?&") {
			a = "'" + a + "'"
		}
		b.WriteString(" " + a)
	}
	return b.String()
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Requests     int64
	Duration     time.Duration
	StatusErrors int64 // answers that were not 2xx or 3xx
	SocketErrors int64
	P50, P90     time.Duration
	P99, P999    time.Duration
	Raw          string
}

// RPS is requests per second.
func (r wrkResult) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

func runWrk(ctx context.Context, l load) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, l.duration+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", l.args()...).CombinedOutput()
	if err != nil {
		return wrkResult{Raw: string(out)}, fmt.Errorf("wrk %s: %w\n%s", l.url, err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return res, fmt.Errorf("wrk %s: %w\n%s", l.url, err, out)
	}
	return res, nil
}

// parseWrk reads the BENCH lines the done script printed.
func parseWrk(out string) (wrkResult, error) {
	r := wrkResult{Raw: out}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "BENCH" {
			continue
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return r, fmt.Errorf("BENCH %s: %q is not an integer", f[1], f[2])
		}
		seen[f[1]] = true
		switch f[1] {
		case "requests":
			r.Requests = n
		case "duration_us":
			r.Duration = time.Duration(n) * time.Microsecond
		case "status_errors":
			r.StatusErrors = n
		case "socket_errors":
			r.SocketErrors = n
		case "p50_us":
			r.P50 = time.Duration(n) * time.Microsecond
		case "p90_us":
			r.P90 = time.Duration(n) * time.Microsecond
		case "p99_us":
			r.P99 = time.Duration(n) * time.Microsecond
		case "p99.9_us":
			r.P999 = time.Duration(n) * time.Microsecond
		}
	}
	for _, k := range []string{"requests", "duration_us", "status_errors", "socket_errors", "p50_us", "p99_us", "p99.9_us"} {
		if !seen[k] {
			return r, fmt.Errorf("wrk printed no %q figure", k)
		}
	}
	return r, nil
}
