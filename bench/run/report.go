package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report gathers the run and writes BENCHMARKS.md.
type report struct {
	opts              options
	started, finished time.Time
	machine           []string
	machineAfter      string
	goBench           []goBench
	goBenchCmd        string
	tokenBytes        int
	syncgateEnv       []string
	baselineArgs      []string
	scenarios         []scenario
	runs              map[string][]measurement // "target/path" → rounds
	rss               map[string]measurement   // "target/path" → the peak-memory run
	final             backendStats
	syncgateLogLines  int64
	findings          string
}

func key(s scenario) string { return s.target + "/" + s.path }

func (r *report) add(s scenario, m measurement) {
	if r.runs == nil {
		r.runs = map[string][]measurement{}
	}
	r.runs[key(s)] = append(r.runs[key(s)], m)
}

func (r *report) addRSS(s scenario, m measurement) {
	if r.rss == nil {
		r.rss = map[string]measurement{}
	}
	r.rss[key(s)] = m
}

// median of the values f picks from the rounds (the mean of the two middle
// ones for an even count).
func median(ms []measurement, f func(measurement) float64) float64 {
	if len(ms) == 0 {
		return 0
	}
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// summaryRow is the medians of one scenario.
type summaryRow struct {
	rps, p50, p99, p999 float64 // latencies in ms
	cpu, backendCPU     float64
	calls               float64
	newConns, redialled int64
	peakRSS             int64
}

func (r *report) row(k string) (summaryRow, bool) {
	ms, ok := r.runs[k]
	if !ok {
		return summaryRow{}, false
	}
	ms2 := func(f func(measurement) time.Duration) float64 {
		return median(ms, func(m measurement) float64 { return float64(f(m).Microseconds()) / 1000 })
	}
	row := summaryRow{
		rps:        median(ms, func(m measurement) float64 { return m.wrk.RPS() }),
		p50:        ms2(func(m measurement) time.Duration { return m.wrk.P50 }),
		p99:        ms2(func(m measurement) time.Duration { return m.wrk.P99 }),
		p999:       ms2(func(m measurement) time.Duration { return m.wrk.P999 }),
		cpu:        median(ms, func(m measurement) float64 { return m.cpuPerReq }),
		backendCPU: median(ms, func(m measurement) float64 { return m.backendCPUPerReq }),
		calls:      median(ms, func(m measurement) float64 { return m.backendCallsPerReq }),
	}
	for _, m := range ms {
		row.newConns += m.newConns
		row.redialled += m.redialled
		row.peakRSS = max(row.peakRSS, m.peakRSS)
	}
	return row, true
}

// connCell is a new-connections cell: "new" or "new (+redialled)".
func connCell(n, redialled int64) string {
	if redialled == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (+%d)", n, redialled)
}

func mib(b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func orDash(v float64, format string) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// check is one line of the "done when".
type check struct {
	what, measured string
	ok             bool
	known          bool // false when the figure is missing
}

func (r *report) checks() []check {
	var cs []check
	sgR, ok1 := r.row("syncgate/read")
	blR, ok2 := r.row("baseline/read")
	sgS, ok3 := r.row("syncgate/start")
	blS, ok4 := r.row("baseline/start")
	if ok1 && ok2 {
		cs = append(cs,
			check{"job read ≥ 1.5× the baseline's req/s", fmt.Sprintf("%.2f×", sgR.rps/blR.rps), sgR.rps >= 1.5*blR.rps, true},
			check{"job read CPU per request ≤ 0.6× the baseline's", fmt.Sprintf("%.2f× (%.1f vs %.1f µs)", sgR.cpu/blR.cpu, sgR.cpu, blR.cpu), sgR.cpu <= 0.6*blR.cpu, true},
			check{"job read p99 no worse than the baseline's", fmt.Sprintf("%.2f ms vs %.2f ms", sgR.p99, blR.p99), sgR.p99 <= blR.p99, true},
		)
	}
	if ok3 && ok4 {
		cs = append(cs,
			check{"start (two backend calls) ≥ 1.0× the baseline's start req/s", fmt.Sprintf("%.2f×", sgS.rps/blS.rps), sgS.rps >= blS.rps, true},
			check{"start p99 no worse than the baseline's", fmt.Sprintf("%.2f ms vs %.2f ms", sgS.p99, blS.p99), sgS.p99 <= blS.p99, true},
		)
	}
	if b, ok := findBench(r.goBench, "BenchmarkTokenCheck/cached"); ok {
		cs = append(cs, check{"cached token check under 2 µs", fmt.Sprintf("%.0f ns", b.NsPerOp), b.NsPerOp < 2000, true})
	} else {
		cs = append(cs, check{what: "cached token check under 2 µs", measured: "not measured"})
	}
	read, ok5 := findBench(r.goBench, "BenchmarkJobRead")
	direct, ok6 := findBench(r.goBench, "BenchmarkDirectRead")
	if ok5 && ok6 {
		a := read.AllocsPerOp - direct.AllocsPerOp
		cs = append(cs, check{"≤ 120 allocations per read (the gateway's share)", fmt.Sprintf("%d (%d with client and backend − %d without the gateway)", a, read.AllocsPerOp, direct.AllocsPerOp), a <= 120, true})
	} else {
		cs = append(cs, check{what: "≤ 120 allocations per read", measured: "not measured"})
	}
	var peak int64
	var split rssSplit
	for _, k := range []string{"syncgate/read", "syncgate/start"} {
		if m, ok := r.rss[k]; ok && m.peakRSS > peak {
			peak, split = m.peakRSS, m.rssSplit
		}
	}
	if peak > 0 {
		cs = append(cs, check{fmt.Sprintf("peak RSS under 40 MiB at %d connections", r.opts.rssConns),
			fmt.Sprintf("%s (largest sample: %s of the binary's pages + %s anonymous)", mib(peak), mib(split.file), mib(split.anon)),
			peak < 40<<20, true})
	}
	tok := r.final.TokenRequests[syncgateClient]
	cs = append(cs, check{"syncgate asks the token endpoint once per token lifetime (the run is shorter than one hour)",
		fmt.Sprintf("%d token request(s) in %s", tok, r.finished.Sub(r.started).Round(time.Second)), tok == 1, true})
	var conns, redialled int64
	for _, k := range []string{"syncgate/read", "syncgate/start"} {
		if row, ok := r.row(k); ok {
			conns += row.newConns
			redialled += row.redialled
		}
	}
	cs = append(cs, check{fmt.Sprintf("no new backend connection after warm-up (syncgate, every measured run, after its first %s)", settleAfter),
		fmt.Sprintf("%d new connection(s) (%d redialled in the first %s)", conns, redialled, settleAfter), conns == 0, true})
	return cs
}

func (r *report) markdown() string {
	var b strings.Builder
	o := r.opts
	fmt.Fprintf(&b, "# syncgate benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`go run ./bench/run`) on %s, in %s. Do not edit by hand: run it again.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	fmt.Fprintf(&b, "Load: wrk, %d threads × %d connections × %s per run after a %s warm-up, %d interleaved rounds (the order rotates each round), medians reported. "+
		"Same backend, same caller token (RS256, %d bytes), same requests for every target. "+
		"syncgate runs as shipped (JSON logs at info, read by the runner like a log collector: %d lines), with `SYNCGATE_START_COOLDOWN=0` so every start reaches the backend.\n\n",
		o.threads, o.conns, o.duration, o.warmup, o.rounds, r.tokenBytes, r.syncgateLogLines)

	b.WriteString("## Done when (issue #14)\n\n| criterion | measured | |\n|---|---|---|\n")
	for _, c := range r.checks() {
		mark := "**no**"
		switch {
		case !c.known:
			mark = "?"
		case c.ok:
			mark = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.what, c.measured, mark)
	}

	for _, path := range []string{"read", "start"} {
		title := map[string]string{"read": "Job read: `GET /applications/{app}/jobs/{job}`",
			"start": "Job start: `POST /applications/{app}/jobs/{job}/start?force=true` (syncgate: precheck read + start; baseline and direct: the start only)"}[path]
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		b.WriteString("| target | req/s | p50 | p99 | p99.9 | CPU µs/req, gateway | CPU µs/req, backend | peak RSS | backend calls/req | new backend conns (+ redialled) | req/s vs baseline | req/s vs direct |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		bl, _ := r.row("baseline/" + path)
		di, _ := r.row("direct/" + path)
		for _, t := range []string{"direct", "baseline", "syncgate"} {
			row, ok := r.row(t + "/" + path)
			if !ok {
				continue
			}
			vsBL, vsDI := "–", "–"
			if t != "direct" && bl.rps > 0 {
				vsBL = fmt.Sprintf("%.2f×", row.rps/bl.rps)
			}
			if t != "direct" && di.rps > 0 {
				vsDI = fmt.Sprintf("%.2f×", row.rps/di.rps)
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.2f ms | %.2f ms | %.2f ms | %s | %.1f | %s | %.2f | %s | %s | %s |\n",
				t, row.rps, row.p50, row.p99, row.p999, orDash(row.cpu, "%.1f"), row.backendCPU, mib(row.peakRSS), row.calls, connCell(row.newConns, row.redialled), vsBL, vsDI)
		}
	}
	if len(r.rss) > 0 {
		fmt.Fprintf(&b, "\n## At %d connections (%s, one run each, after the rounds)\n\n", o.rssConns, o.rssDuration)
		b.WriteString("| target | path | req/s | p99 | p99.9 | CPU µs/req | peak RSS | largest sample: file-backed + anonymous | new backend conns (+ redialled) |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, s := range r.scenarios {
			m, ok := r.rss[key(s)]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f ms | %.2f ms | %.1f | %s | %s + %s | %s |\n", s.target, s.path, m.wrk.RPS(),
				float64(m.wrk.P99.Microseconds())/1000, float64(m.wrk.P999.Microseconds())/1000, m.cpuPerReq, mib(m.peakRSS),
				mib(m.rssSplit.file), mib(m.rssSplit.anon), connCell(m.newConns, m.redialled))
		}
	}

	b.WriteString("\n## Every round\n\n| target | path | round | req/s | p50 | p99 | p99.9 | CPU µs/req | backend CPU µs/req | calls/req | new conns (+ redialled) | token requests | peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.scenarios {
		for _, m := range r.runs[key(s)] {
			fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %.2f ms | %.2f ms | %.2f ms | %s | %.1f | %.2f | %s | %d | %s |\n", s.target, s.path, m.round, m.wrk.RPS(),
				float64(m.wrk.P50.Microseconds())/1000, float64(m.wrk.P99.Microseconds())/1000, float64(m.wrk.P999.Microseconds())/1000,
				orDash(m.cpuPerReq, "%.1f"), m.backendCPUPerReq, m.backendCallsPerReq, connCell(m.newConns, m.redialled), m.tokenRequests, mib(m.peakRSS))
		}
	}

	b.WriteString("\n## Backend token requests over the whole run\n\n| client | token requests |\n|---|---|\n")
	for _, c := range []struct{ id, name string }{{syncgateClient, "syncgate"}, {baselineClient, "baseline (one at start)"}, {runnerClient, "runner (for the direct calls)"}} {
		fmt.Fprintf(&b, "| %s | %d |\n", c.name, r.final.TokenRequests[c.id])
	}
	fmt.Fprintf(&b, "\nBackend connections opened over the whole run, warm-ups and checks included: %d (login host: %d).\n", r.final.GraphNewConns, r.final.LoginNewConns)

	if len(r.goBench) > 0 {
		b.WriteString("\n## Go benchmarks of the hot path\n\n| package | benchmark | ns/op | CPU µs/op (process) | B/op | allocs/op |\n|---|---|---|---|---|---|\n")
		for _, g := range r.goBench {
			fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %d | %d |\n", strings.TrimPrefix(g.Pkg, "github.com/syncgate/syncgate/"), g.Name, g.NsPerOp,
				orDash(g.CPUPerOp, "%.1f"), g.BytesPerOp, g.AllocsPerOp)
		}
		b.WriteString("\n`BenchmarkTokenCheck` is the RS256 verification, cold (cache off) and cached. `BenchmarkRouteJobRead` is the job read through the router, " +
			"middleware, validation and encoding with the adapter answering from memory. `BenchmarkJobRead`/`BenchmarkJobStart` run client → syncgate (wired by serve, " +
			"logging as shipped) → backend over loopback in one process; `BenchmarkDirectRead` is the same client and backend without syncgate, so the difference " +
			"is syncgate's own share (allocations included). Their CPU µs/op is the user + system time of the whole test process (client, syncgate and backend) per request, " +
			"which other processes' load changes less than ns/op.\n")
	}

	if strings.TrimSpace(r.findings) != "" {
		b.WriteString("\n" + strings.TrimSpace(r.findings) + "\n")
	}

	b.WriteString("\n## How this was measured\n\n")
	b.WriteString("- Processes: `bench/backend` (standard library only: Graph job read answering a 620-byte job, start answering 204, a TLS login host with the client-credentials token endpoint; it counts calls, token requests per client and new connections), " +
		"`bench/baseline` (golang-jwt RS256 verification of every request, scope check, `httputil.ReverseProxy`, one backend token fetched at start, an idle pool of 1024 per host), and syncgate built from the tree as the image builds it (`CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" ./cmd/syncgate`, the three programs alike).\n")
	b.WriteString("- CPU µs/req: user + system time of the process from `/proc/<pid>/stat` across the measured run, divided by the requests wrk completed. Peak RSS: `VmHWM` of `/proc/<pid>/status`, reset before each run by writing 5 to `/proc/<pid>/clear_refs`.\n")
	b.WriteString("- Backend calls/req, new backend connections and token requests: the backend's counters before and after the measured run (for \"direct\", the new connections are wrk's own). " +
		"wrk ends every run by closing its connections with requests in flight; a gateway cancels the backend calls of callers that left, which closes those backend connections, " +
		"and the next run's first requests open them again. The connections opened in the first " + settleAfter.String() + " of a measured run are therefore shown apart, as \"+ redialled\"; " +
		"\"new\" is what the steady load opened after that.\n")
	fmt.Fprintf(&b, "- Runner: `go run ./bench/run -duration %s -warmup %s -rounds %d -threads %d -conns %d -rss-conns %d -rss-duration %s -benchtime %s`\n",
		o.duration, o.warmup, o.rounds, o.threads, o.conns, o.rssConns, o.rssDuration, o.benchtime)
	if r.goBenchCmd != "" {
		fmt.Fprintf(&b, "- Go benchmarks: `%s`\n", r.goBenchCmd)
	}
	b.WriteString("- syncgate's environment (nothing else set):\n\n```\n" + strings.Join(r.syncgateEnv, "\n") + "\n```\n")
	b.WriteString("- Baseline: `baseline " + strings.Join(r.baselineArgs, " ") + "`\n")
	b.WriteString("- wrk commands (`$TOKEN` is the caller token; the direct calls send the backend's token):\n\n```\n")
	for _, s := range r.scenarios {
		if ms := r.runs[key(s)]; len(ms) > 0 {
			b.WriteString(ms[0].command + "\n")
		}
	}
	b.WriteString("```\n")
	fmt.Fprintf(&b, "- Raw output: `%s/wrk.txt` (every wrk run with the backend's counters), `%s/gobench.txt`.\n", o.rawDir, o.rawDir)
	b.WriteString("\n## Machine\n\n")
	for _, m := range r.machine {
		b.WriteString("- " + m + "\n")
	}
	b.WriteString("- load average at the end: " + r.machineAfter + "\n")
	b.WriteString("\nEverything (wrk, the backend, the gateways) shares these cores; the figures compare targets under the same conditions, not absolute capacity.\n")
	return b.String()
}

// summary is the short result printed at the end of the run.
func (r *report) summary() string {
	var b strings.Builder
	for _, c := range r.checks() {
		mark := "FAIL"
		switch {
		case !c.known:
			mark = "  ? "
		case c.ok:
			mark = " ok "
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", mark, c.what, c.measured)
	}
	return b.String()
}

// machine describes the host.
func machine(ctx context.Context) []string {
	var out []string
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				out = append(out, "CPU: "+strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":")))
				break
			}
		}
	}
	out = append(out, fmt.Sprintf("logical CPUs: %d", runtime.NumCPU()))
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := parseStatusKB(string(data), "MemTotal"); err == nil {
			out = append(out, fmt.Sprintf("memory: %.1f GiB", float64(kb)/(1<<30)))
		}
	}
	if v, err := exec.CommandContext(ctx, "uname", "-srm").Output(); err == nil {
		out = append(out, "kernel: "+strings.TrimSpace(string(v)))
	}
	if v, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		out = append(out, "Go: "+strings.TrimSpace(string(v)))
	}
	if v, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Version}", "wrk").Output(); err == nil {
		out = append(out, "wrk: Debian package "+strings.TrimSpace(string(v)))
	}
	if v, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); err == nil {
		out = append(out, "syncgate commit: "+strings.TrimSpace(string(v)))
	}
	out = append(out, "load average at the start: "+loadAvg())
	return out
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
