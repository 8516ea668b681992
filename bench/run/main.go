// Command run is the load run of `make bench`: it builds syncgate, the
// trivial backend (bench/backend) and the minimal baseline proxy
// (bench/baseline) from the tree, runs the Go benchmarks of the hot path,
// starts the three processes, drives each with wrk — interleaved, repeated —
// on the job read and on the job start, and writes BENCHMARKS.md with the
// medians, the ratios, the checks of issue #14 and the exact commands; the
// raw output goes to bench/results/.
//
// syncgate runs as shipped (default logging, metrics and tracing), with the
// start cooldown off so that every start reaches the backend.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fixed names of the run: one caller token for every target.
const (
	issuer         = "https://login.bench.local/"
	audience       = "api://syncgate"
	tenantID       = "11111111-2222-3333-4444-555555555555"
	syncgateClient = "5c0a9f3e-1d2b-4c5d-8e7f-90a1b2c3d4e5"
	baselineClient = "baseline"
	runnerClient   = "runner"
	appID          = "fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3"
	jobID          = "aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f"
)

type options struct {
	duration, warmup, rssDuration time.Duration
	rounds, threads, conns        int
	rssConns                      int
	out, rawDir                   string
	goBench                       bool
	benchtime                     string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "length of one measured wrk run")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured wrk run before each measured one")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds over every target and path")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.conns, "conns", 64, "wrk connections")
	flag.IntVar(&o.rssConns, "rss-conns", 256, "connections of the peak-memory run (0 skips it)")
	flag.DurationVar(&o.rssDuration, "rss-duration", 10*time.Second, "length of the peak-memory run")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "report to write")
	flag.StringVar(&o.rawDir, "raw", "bench/results", "directory for the raw output")
	flag.BoolVar(&o.goBench, "gobench", true, "run the Go benchmarks first")
	flag.StringVar(&o.benchtime, "benchtime", "1s", "go test -benchtime")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Printf("[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (make bench installs Debian's wrk when run as root)")
	}
	if o.threads > o.conns {
		return fmt.Errorf("-threads %d is more than -conns %d", o.threads, o.conns)
	}
	est := time.Duration(o.rounds*6)*(o.duration+o.warmup) + 4*(o.rssDuration+o.warmup)
	logf("load phase will take about %s (plus build and Go benchmarks)", est.Round(time.Second))
	started := time.Now()
	rep := &report{opts: o, started: started, machine: machine(ctx)}

	work, err := os.MkdirTemp("", "syncgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.MkdirAll(o.rawDir, 0o755); err != nil {
		return err
	}

	logf("building syncgate, backend and baseline")
	bins := map[string]string{"syncgate": "./cmd/syncgate", "backend": "./bench/backend", "baseline": "./bench/baseline"}
	for name, pkg := range bins {
		bin := filepath.Join(work, name)
		// Every program is built as the image builds syncgate (Containerfile):
		// static, without symbol tables or debug information.
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", pkg, err)
		}
		bins[name] = bin
	}

	if o.goBench {
		logf("running the Go benchmarks (-benchmem)")
		gb, raw, err := runGoBench(ctx, o.benchtime)
		_ = os.WriteFile(filepath.Join(o.rawDir, "gobench.txt"), []byte(raw), 0o644)
		if err != nil {
			return err
		}
		rep.goBench, rep.goBenchCmd = gb, goBenchCommand(o.benchtime)
	}

	// The caller token: RS256, as an identity provider would issue it.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubFile := filepath.Join(work, "caller-key.pub.pem")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return err
	}
	callerToken, err := mintToken(key)
	if err != nil {
		return err
	}
	rep.tokenBytes = len(callerToken)

	// The backend.
	caFile := filepath.Join(work, "backend-ca.pem")
	backend, err := startProc(ctx, "backend", bins["backend"], []string{"-ca", caFile, "-tenant", tenantID}, nil)
	if err != nil {
		return err
	}
	defer backend.stop()
	var urls struct{ Graph, Login, Stats string }
	if err := json.Unmarshal([]byte(backend.waitLine(ctx, func(l string) bool { return strings.HasPrefix(l, "{") })), &urls); err != nil || urls.Graph == "" {
		return fmt.Errorf("backend did not print its URLs: %v", err)
	}
	stats := statsClient{url: urls.Stats}
	tokenURL := urls.Login + "/" + tenantID + "/oauth2/v2.0/token"
	backendToken, err := fetchToken(ctx, tokenURL, caFile)
	if err != nil {
		return fmt.Errorf("token for direct calls: %w", err)
	}

	// syncgate, as shipped, with the cooldown off.
	sgEnv := []string{
		"SYNCGATE_LISTEN_ADDR=127.0.0.1:0",
		"SYNCGATE_JWT_PUBLIC_KEY_FILE=" + pubFile,
		"SYNCGATE_JWT_ISSUERS=" + issuer,
		"SYNCGATE_JWT_AUDIENCES=" + audience,
		"SYNCGATE_GRAPH_TENANT_ID=" + tenantID,
		"SYNCGATE_GRAPH_CLIENT_ID=" + syncgateClient,
		"SYNCGATE_GRAPH_CLIENT_SECRET=bench-secret",
		"SYNCGATE_GRAPH_AUTHORITY_URL=" + urls.Login,
		"SYNCGATE_GRAPH_BASE_URL=" + urls.Graph,
		"SYNCGATE_GRAPH_CA_FILE=" + caFile,
		"SYNCGATE_START_COOLDOWN=0",
	}
	rep.syncgateEnv = sgEnv
	sg, err := startProc(ctx, "syncgate", bins["syncgate"], []string{"serve"}, sgEnv)
	if err != nil {
		return err
	}
	defer sg.stop()
	var listening struct{ Msg, Addr string }
	line := sg.waitLine(ctx, func(l string) bool {
		return json.Unmarshal([]byte(l), &listening) == nil && listening.Msg == "listening" && listening.Addr != ""
	})
	if line == "" {
		return errors.New("syncgate did not log its listening address")
	}
	sgURL := "http://" + listening.Addr

	// The baseline proxy.
	baseArgs := []string{"-key", pubFile, "-issuer", issuer, "-audience", audience, "-graph", urls.Graph,
		"-token-url", tokenURL, "-ca", caFile, "-client-id", baselineClient}
	rep.baselineArgs = baseArgs
	bl, err := startProc(ctx, "baseline", bins["baseline"], baseArgs, nil)
	if err != nil {
		return err
	}
	defer bl.stop()
	blURL := strings.TrimPrefix(bl.waitLine(ctx, func(l string) bool { return strings.HasPrefix(l, "listening ") }), "listening ")
	if blURL == "" {
		return errors.New("baseline did not print its address")
	}

	getScript, postScript, err := writeScripts(work)
	if err != nil {
		return err
	}
	gwPath := "/applications/" + appID + "/jobs/" + url.PathEscape(jobID)
	directPath := "/beta/applications/" + appID + "/synchronization/jobs/" + url.PathEscape(jobID)
	scenarios := []scenario{
		{target: "direct", path: "read", proc: nil, url: urls.Graph + directPath, auth: "Bearer " + backendToken, script: getScript, want: 200},
		{target: "baseline", path: "read", proc: bl, url: blURL + gwPath, auth: "Bearer " + callerToken, script: getScript, want: 200},
		{target: "syncgate", path: "read", proc: sg, url: sgURL + gwPath, auth: "Bearer " + callerToken, script: getScript, want: 200},
		{target: "direct", path: "start", proc: nil, url: urls.Graph + directPath + "/start", auth: "Bearer " + backendToken, script: postScript, want: 204},
		{target: "baseline", path: "start", proc: bl, url: blURL + gwPath + "/start?force=true", auth: "Bearer " + callerToken, script: postScript, want: 204},
		{target: "syncgate", path: "start", proc: sg, url: sgURL + gwPath + "/start?force=true", auth: "Bearer " + callerToken, script: postScript, want: 202},
	}
	for _, s := range scenarios {
		if err := s.check(ctx); err != nil {
			return err
		}
	}
	rep.scenarios = scenarios

	var raw strings.Builder
	defer func() { _ = os.WriteFile(filepath.Join(o.rawDir, "wrk.txt"), []byte(raw.String()), 0o644) }()
	measure := func(s scenario, conns int, d time.Duration, round int) (measurement, error) {
		m, err := s.measure(ctx, o, conns, d, backend, stats)
		m.round = round
		fmt.Fprintf(&raw, "=== %s %s, round %d, %d connections: %s\n%s\nbackend: %s\n\n", s.target, s.path, round, conns, m.command, m.wrk.Raw, m.backendStats)
		if err != nil {
			return m, err
		}
		logf("%-8s %-5s round %d c=%-3d %8.0f req/s  p99 %-8s cpu %6.1f µs/req  backend calls/req %.2f  new conns %d (+%d redialled)",
			s.target, s.path, round, conns, m.wrk.RPS(), m.wrk.P99, m.cpuPerReq, m.backendCallsPerReq, m.newConns, m.redialled)
		return m, nil
	}
	for round := 1; round <= o.rounds; round++ {
		// Rotate the order each round so that no target always runs first.
		for i := range scenarios {
			s := scenarios[(i+round-1)%len(scenarios)]
			m, err := measure(s, o.conns, o.duration, round)
			if err != nil {
				return err
			}
			rep.add(s, m)
		}
	}
	if o.rssConns > 0 {
		for _, s := range scenarios {
			if s.proc == nil {
				continue
			}
			m, err := measure(s, o.rssConns, o.rssDuration, 0)
			if err != nil {
				return err
			}
			rep.addRSS(s, m)
		}
	}
	final, err := stats.get(ctx)
	if err != nil {
		return err
	}
	rep.final = final
	rep.syncgateLogLines = sg.lines.Load()
	rep.finished = time.Now()
	rep.machineAfter = loadAvg()
	findings, _ := os.ReadFile("bench/FINDINGS.md")
	rep.findings = string(findings)
	if err := os.WriteFile(o.out, []byte(rep.markdown()), 0o644); err != nil {
		return err
	}
	logf("wrote %s and %s/ in %s", o.out, o.rawDir, time.Since(started).Round(time.Second))
	fmt.Println()
	fmt.Print(rep.summary())
	return nil
}

// scenario is one target on one path.
type scenario struct {
	target, path string
	proc         *proc // nil for the backend called directly
	url, auth    string
	script       string
	want         int
}

// check sends one request and wants the expected status.
func (s scenario) check(ctx context.Context) error {
	method := http.MethodGet
	if s.path == "start" {
		method = http.MethodPost
	}
	req, _ := http.NewRequestWithContext(ctx, method, s.url, nil)
	req.Header.Set("Authorization", s.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.target, s.path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != s.want {
		return fmt.Errorf("%s %s: %s %s answered %d, want %d: %s", s.target, s.path, method, s.url, resp.StatusCode, s.want, body)
	}
	return nil
}

// measurement is one measured wrk run and what the processes did meanwhile.
type measurement struct {
	round              int
	conns              int
	command            string
	wrk                wrkResult
	cpuPerReq          float64 // µs of the target's CPU per request (0 for direct)
	backendCPUPerReq   float64
	backendCallsPerReq float64
	newConns           int64    // backend connections opened during the measured run, after its first settleAfter
	redialled          int64    // backend connections opened in its first settleAfter (see measure)
	tokenRequests      int64    // token requests during the measured run, all clients
	peakRSS            int64    // bytes; VmHWM over the measured run when resettable
	peakRSSWindow      bool     // peakRSS covers the measured run only
	rssSplit           rssSplit // the largest resident set sampled during the run, file-backed and anonymous
	backendStats       string
}

func (s scenario) measure(ctx context.Context, o options, conns int, d time.Duration, backend *proc, stats statsClient) (measurement, error) {
	l := load{threads: min(o.threads, conns), conns: conns, duration: d, script: s.script, url: s.url, auth: s.auth}
	m := measurement{conns: conns, command: l.command()}
	if o.warmup > 0 {
		w := l
		w.duration = o.warmup
		if _, err := runWrk(ctx, w); err != nil {
			return m, fmt.Errorf("warm-up: %w", err)
		}
	}
	pid := backend.pid()
	if s.proc != nil {
		pid = s.proc.pid()
		m.peakRSSWindow = resetPeakRSS(pid)
	}
	before, err := stats.get(ctx)
	if err != nil {
		return m, err
	}
	cpu0, err := cpuTime(pid)
	if err != nil {
		return m, err
	}
	bcpu0, err := cpuTime(backend.pid())
	if err != nil {
		return m, err
	}
	// The backend's connection counter once the run has settled: wrk ends
	// each run by closing its connections, and the gateway's calls then in
	// flight are cancelled, which closes their backend connections; the
	// next run's first requests open them again. Those are counted apart
	// (redialled); newConns is what the steady load opened after them.
	settled := make(chan int64, 1)
	go func() {
		select {
		case <-time.After(settleAfter):
		case <-ctx.Done():
		}
		st, err := stats.get(ctx)
		if err != nil {
			settled <- -1
			return
		}
		settled <- st.GraphNewConns
	}()
	stopSampling := make(chan struct{})
	var sampled <-chan rssSplit
	if s.proc != nil {
		sampled = sampleRSS(pid, 250*time.Millisecond, stopSampling)
	}
	res, err := runWrk(ctx, l)
	m.wrk = res
	close(stopSampling)
	if sampled != nil {
		m.rssSplit = <-sampled
	}
	atSettle := <-settled
	if err != nil {
		return m, err
	}
	cpu1, _ := cpuTime(pid)
	bcpu1, _ := cpuTime(backend.pid())
	after, err := stats.get(ctx)
	if err != nil {
		return m, err
	}
	m.backendStats = after.raw
	if s.proc != nil {
		m.peakRSS, _ = peakRSS(pid)
		m.cpuPerReq = perReq(cpu1-cpu0, res.Requests)
	}
	m.backendCPUPerReq = perReq(bcpu1-bcpu0, res.Requests)
	calls := (after.JobReads + after.JobStarts + after.Other + after.Unauthorized) - (before.JobReads + before.JobStarts + before.Other + before.Unauthorized)
	if res.Requests > 0 {
		m.backendCallsPerReq = float64(calls) / float64(res.Requests)
	}
	m.newConns = after.GraphNewConns - before.GraphNewConns
	if atSettle >= before.GraphNewConns && d > settleAfter {
		m.redialled = atSettle - before.GraphNewConns
		m.newConns = after.GraphNewConns - atSettle
	}
	m.tokenRequests = after.tokens() - before.tokens()
	if res.StatusErrors > 0 || res.SocketErrors > 0 {
		return m, fmt.Errorf("%s %s: %d answers with an unexpected status and %d socket errors during the run", s.target, s.path, res.StatusErrors, res.SocketErrors)
	}
	if after.Unauthorized != before.Unauthorized {
		return m, fmt.Errorf("%s %s: the backend refused %d calls for their token", s.target, s.path, after.Unauthorized-before.Unauthorized)
	}
	return m, nil
}

// settleAfter is how long into a measured run backend connections opened
// count as redialled rather than new (see measure).
const settleAfter = time.Second

func perReq(d time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

// backendStats is the backend's counters (see bench/backend).
type backendStats struct {
	JobReads, JobStarts, Unauthorized, Other int64
	TokenRequests                            map[string]int64
	GraphNewConns, LoginNewConns             int64
	GraphOpenConns                           int64
	raw                                      string
}

func (b backendStats) tokens() int64 {
	var n int64
	for _, v := range b.TokenRequests {
		n += v
	}
	return n
}

type statsClient struct{ url string }

func (c statsClient) get(ctx context.Context) (backendStats, error) {
	var s backendStats
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("backend stats: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("backend stats: %w", err)
	}
	s.raw = strings.TrimSpace(string(body))
	return s, nil
}

// proc is a child process whose output is read line by line.
type proc struct {
	name  string
	cmd   *exec.Cmd
	lines atomic.Int64
	ch    chan string // lines until the first waitLine match
	done  chan struct{}
}

func startProc(ctx context.Context, name, bin string, args, env []string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = env
	}
	// The children die with the runner, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, ch: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		// Read every line, as a log collector would, and keep only the
		// first ones for waitLine.
		r := bufio.NewReaderSize(out, 64<<10)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				p.lines.Add(1)
				select {
				case p.ch <- strings.TrimSpace(line):
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	context.AfterFunc(ctx, p.stop)
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitLine returns the first line (within 30 s) for which match is true, or
// "" when the process ends or prints none.
func (p *proc) waitLine(ctx context.Context, match func(string) bool) string {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l := <-p.ch:
			if match(l) {
				return l
			}
		case <-p.done:
			return ""
		case <-timeout:
			return ""
		case <-ctx.Done():
			return ""
		}
	}
}

func (p *proc) stop() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		waited := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-waited
		}
	}
}

// mintToken makes the caller token: what an Entra ID access token for an
// API carries, signed RS256, valid for two hours.
func mintToken(key *rsa.PrivateKey) (string, error) {
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e",
		"oid": "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e", "tid": tenantID, "azp": "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f",
		"name": "Portal Automation", "ver": "2.0", "scp": "SyncJobs.Read SyncJobs.Start",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(2 * time.Hour).Unix(),
	})
	t.Header["kid"] = "bench-1"
	return t.SignedString(key)
}

// fetchToken gets a backend token for the direct calls (client "runner").
func fetchToken(ctx context.Context, tokenURL, caFile string) (string, error) {
	pemCA, err := os.ReadFile(caFile)
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	form := url.Values{"client_id": {runnerClient}, "client_secret": {"bench"}, "grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("token endpoint answered %s", resp.Status)
	}
	return t.AccessToken, nil
}
