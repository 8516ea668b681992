package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/config"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// The demo's token issuer and audience; `syncgate token` uses them too.
const (
	demoIssuer   = "https://syncgate.demo.local/"
	demoAudience = "api://syncgate"
)

// allScopes are the default scope names, all of them.
var allScopes = []string{"Organizations.Read", "Organizations.Sync", "SyncJobs.Read", "SyncJobs.Start", "SyncJobs.Manage"}

// The files of a demo's folder.
const (
	demoKeyFile     = "signing-key.pem" // the signing key `syncgate token` uses
	demoGatewayFile = "gateway-url"     // the gateway's address, to tell demos apart
	demoCAFile      = "simulator-ca.pem"
)

// demoDirPattern names the folders demos make in the temporary folder.
const demoDirPattern = "syncgate-demo-*"

// demoDir makes the folder this demo keeps its signing key and simulator CA
// in: $SYNCGATE_DEMO_DIR when set, else a new folder of its own in the
// temporary folder, so that two demos on one machine never share a key. The
// returned cleanup removes what the demo wrote (the whole folder when the
// demo made it).
func demoDir(getenv func(string) string) (dir string, cleanup func(), err error) {
	if dir = getenv("SYNCGATE_DEMO_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, err
		}
		return dir, func() {
			for _, f := range []string{demoKeyFile, demoGatewayFile, demoCAFile} {
				_ = os.Remove(filepath.Join(dir, f))
			}
		}, nil
	}
	dir, err = os.MkdirTemp("", demoDirPattern)
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// demoKeyPath finds the signing key of the running demo for `syncgate
// token`: the one in $SYNCGATE_DEMO_DIR when set, else the one demo folder
// in the temporary folder. With no demo, or several, it says so and how to
// choose.
func demoKeyPath(getenv func(string) string) (string, error) {
	if dir := getenv("SYNCGATE_DEMO_DIR"); dir != "" {
		return filepath.Join(dir, demoKeyFile), nil
	}
	keys, _ := filepath.Glob(filepath.Join(os.TempDir(), demoDirPattern, demoKeyFile))
	switch len(keys) {
	case 0:
		return "", errors.New("no running demo found (start one with `syncgate demo`, or pass -key)")
	case 1:
		return keys[0], nil
	}
	var b strings.Builder
	b.WriteString("several demos are running; choose one with -key (each demo prints its token command):")
	for _, k := range keys {
		url, _ := os.ReadFile(filepath.Join(filepath.Dir(k), demoGatewayFile))
		fmt.Fprintf(&b, "\n  -key %s\t(gateway %s)", k, cmp.Or(strings.TrimSpace(string(url)), "address unknown"))
	}
	return "", errors.New(b.String())
}

// simulators are the simulated backends of the demo and of `syncgate sim`.
type simulators struct {
	ca                       *sim.CA
	caFile                   string
	veeam                    *veeamsim.Server
	veeamURL                 string
	veeamUser, veeamPassword string
	graph                    *graphsim.Graph
	graphURL, loginURL       string
	graphSecret              string
}

// backendEnv is the gateway's configuration of both backends, pointed at
// the simulators.
func (sims *simulators) backendEnv() map[string]string {
	return map[string]string{
		"SYNCGATE_VEEAM_URL":           sims.veeamURL,
		"SYNCGATE_VEEAM_USERNAME":      sims.veeamUser,
		"SYNCGATE_VEEAM_PASSWORD":      sims.veeamPassword,
		"SYNCGATE_VEEAM_CA_FILE":       sims.caFile,
		"SYNCGATE_GRAPH_TENANT_ID":     graphsim.SeedTenantID,
		"SYNCGATE_GRAPH_CLIENT_ID":     graphsim.SeedClientID,
		"SYNCGATE_GRAPH_CLIENT_SECRET": sims.graphSecret,
		"SYNCGATE_GRAPH_AUTHORITY_URL": sims.loginURL,
		"SYNCGATE_GRAPH_BASE_URL":      sims.graphURL,
		"SYNCGATE_GRAPH_CA_FILE":       sims.caFile,
	}
}

// startSimulators serves the simulated backends over TLS on loopback until
// ctx ends; their CA certificate is written into dir.
// A sync spends a quarter of syncTime Queued and the rest Running.
func startSimulators(ctx context.Context, dir string, syncTime time.Duration, logger *slog.Logger) (*simulators, error) {
	ca, err := sim.NewCA()
	if err != nil {
		return nil, err
	}
	s := &simulators{ca: ca, caFile: filepath.Join(dir, demoCAFile), veeamUser: "syncgate", veeamPassword: randomSecret()}
	if err := os.WriteFile(s.caFile, ca.PEM, 0o600); err != nil {
		return nil, fmt.Errorf("write CA: %w", err)
	}
	s.veeam = veeamsim.New(veeamsim.Options{
		Username: s.veeamUser, Password: s.veeamPassword, Logger: logger.With("sim", "veeam"),
		QueueDelay: syncTime / 4, RunDuration: syncTime - syncTime/4,
	})
	if s.veeamURL, err = serveTLS(ctx, ca, s.veeam, logger); err != nil {
		return nil, fmt.Errorf("veeam simulator: %w", err)
	}
	s.graphSecret = randomSecret()
	login := graphsim.NewLogin(graphsim.LoginOptions{
		Clients: []graphsim.Client{{ID: graphsim.SeedClientID, Secret: s.graphSecret}},
		Logger:  logger.With("sim", "login"),
	})
	if s.loginURL, err = serveTLS(ctx, ca, login, logger); err != nil {
		return nil, fmt.Errorf("login simulator: %w", err)
	}
	s.graph = graphsim.New(graphsim.GraphOptions{Tokens: login.Tokens(), Logger: logger.With("sim", "graph")})
	if s.graphURL, err = serveTLS(ctx, ca, s.graph, logger); err != nil {
		return nil, fmt.Errorf("graph simulator: %w", err)
	}
	return s, nil
}

// serveTLS serves h over TLS on a loopback port until ctx ends.
func serveTLS(ctx context.Context, ca *sim.CA, h http.Handler, logger *slog.Logger) (string, error) {
	tlsCfg, err := ca.ServerTLS()
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, TLSConfig: tlsCfg, ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return "https://" + ln.Addr().String(), nil
}

// servePlain serves h over plain HTTP on a loopback port until ctx ends.
func servePlain(ctx context.Context, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runDemo runs the gateway against the simulators, with a signing key made
// at start and served as JWKS so the real verification path runs.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "Runs the gateway and simulated Veeam, Graph and Entra login servers on loopback, with nothing to configure,\nand prints ready-to-use tokens and curl lines.")
	addr := fs.String("addr", "127.0.0.1:8080", "the gateway's listen address")
	cooldown := fs.Duration("cooldown", 60*time.Second, "the start cooldown (0 disables)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	syncTime := fs.Duration("sync-duration", 8*time.Second, "how long a simulated Veeam sync takes from Queued to Success")
	corsOrigins := fs.String("cors-origins", "", "browser origins allowed to call the gateway (SYNCGATE_CORS_ORIGINS), such as http://localhost:3000 for a portal in development")
	rateLimit := fs.String("rate-limit", "", "requests each caller may make, N/s, N/m or N/h (SYNCGATE_RATE_LIMIT); empty: no limit")
	if help, err := parseFlags(fs, args, stdout, stderr); help || err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dir, cleanup, err := demoDir(getenv)
	if err != nil {
		return err
	}
	defer cleanup()
	simLogger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sims, err := startSimulators(ctx, dir, *syncTime, simLogger)
	if err != nil {
		return err
	}
	minter, err := auth.NewMinter(demoIssuer, demoAudience)
	if err != nil {
		return err
	}
	keyPath := filepath.Join(dir, demoKeyFile)
	if err := minter.WriteKey(keyPath); err != nil {
		return err
	}
	jwksURL, err := servePlain(ctx, minter.JWKS())
	if err != nil {
		return err
	}

	env := map[string]string{
		"SYNCGATE_LISTEN_ADDR":    *addr,
		"SYNCGATE_JWT_ISSUERS":    demoIssuer,
		"SYNCGATE_JWT_AUDIENCES":  demoAudience,
		"SYNCGATE_JWT_JWKS_URL":   jwksURL + "/",
		"SYNCGATE_START_COOLDOWN": cooldown.String(),
		"SYNCGATE_LOG_FORMAT":     "text",
		"SYNCGATE_LOG_LEVEL":      *logLevel,
		"SYNCGATE_SHUTDOWN_GRACE": "5s",
	}
	maps.Copy(env, sims.backendEnv())
	if *corsOrigins != "" {
		env["SYNCGATE_CORS_ORIGINS"] = *corsOrigins
	}
	if *rateLimit != "" {
		env["SYNCGATE_RATE_LIMIT"] = *rateLimit
	}
	cfg, err := config.Load(envMap(env))
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)

	full, err := minter.Mint(auth.MintClaims{Subject: "demo-admin", Scopes: allScopes, TTL: 12 * time.Hour})
	if err != nil {
		return err
	}
	readOnly, err := minter.Mint(auth.MintClaims{Subject: "demo-reader", Scopes: []string{"Organizations.Read", "SyncJobs.Read"}, TTL: 12 * time.Hour})
	if err != nil {
		return err
	}

	listening := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, cfg, logger, listening) }()
	select {
	case err := <-errc:
		return err
	case bound := <-listening:
		base := "http://" + bound
		if err := os.WriteFile(filepath.Join(dir, demoGatewayFile), []byte(base+"\n"), 0o600); err != nil {
			return err
		}
		printDemo(stdout, base, sims, full, readOnly, keyPath)
	}
	err = <-errc
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func printDemo(w io.Writer, base string, sims *simulators, full, readOnly, keyPath string) {
	org := veeamsim.ContosoID
	fmt.Fprintf(w, `
syncgate demo — gateway on %[1]s
simulated Veeam Backup for Microsoft 365 on %[2]s, Microsoft Graph on %[7]s, Entra login on %[8]s
Swagger UI: %[1]s/swagger/ (Authorize with the token below)

Token with every scope (valid 12 h):
  %[3]s

Read-only token:
  %[4]s

Start an organization cache sync (202), then read its state (Queued, Running, then Success):
  curl -i -X POST -H 'Authorization: Bearer %[3]s' %[1]s/organizations/%[5]s/sync
  curl -s -H 'Authorization: Bearer %[3]s' %[1]s/organizations/%[5]s/sync

List the organizations; ask what a start would do without starting anything (dry run: Woodgrove's sync is already running):
  curl -s -H 'Authorization: Bearer %[3]s' %[1]s/organizations
  curl -s -X POST -H 'Authorization: Bearer %[3]s' '%[1]s/organizations/%[6]s/sync?dryRun=true'

Start a FULL sync of EVERY organization in one call (real starts; add ?dryRun=true to only see what each would do):
  curl -s -X POST -H 'Authorization: Bearer %[3]s' -H 'Content-Type: application/json' -d '{"full":true}' %[1]s/organizations/sync

Start a Paused Graph synchronization job (202); a second identical call is refused (409 Active, or 429 within the cooldown); GET shows it Active:
  curl -i -X POST -H 'Authorization: Bearer %[3]s' %[1]s/applications/%[9]s/jobs/%[10]s/start
  curl -i -X POST -H 'Authorization: Bearer %[3]s' %[1]s/applications/%[9]s/jobs/%[10]s/start
  curl -s -H 'Authorization: Bearer %[3]s' %[1]s/applications/%[9]s/jobs/%[10]s

Pause the Active Slack job (200, changed true; again: changed false, nothing sent to Graph):
  curl -s -X POST -H 'Authorization: Bearer %[3]s' %[1]s/applications/%[11]s/jobs/%[12]s/pause

Restart the quarantined ServiceNow job, resetting its quarantine and watermark ("Restart provisioning", 202):
  curl -s -X POST -H 'Authorization: Bearer %[3]s' -H 'Content-Type: application/json' -d '{"resetScope":["QuarantineState","Watermark"]}' %[1]s/applications/%[13]s/jobs/%[14]s/restart

Seeded organizations:
`, base, sims.veeamURL, full, readOnly, org, veeamsim.WoodgroveID, sims.graphURL, sims.loginURL, graphsim.AWSObjectID, graphsim.AWSJobID,
		graphsim.SlackObjectID, graphsim.SlackJobID, graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, o := range veeamsim.SeedOrganizations() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.ID, o.Name, o.Description)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nSeeded applications (GET /applications/{id}/jobs):\n")
	for _, a := range graphsim.Seed() {
		status := "no jobs"
		if len(a.Jobs) > 0 {
			status = a.Jobs[0].Status.Code + " job " + a.Jobs[0].ID
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.ObjectID, a.DisplayName, status)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nMint other tokens for this demo (its key is removed when it stops):\n  go run ./cmd/syncgate token -key %s -scopes Organizations.Read -ttl 1h\nStop with Ctrl-C.\n\n", shellQuote(keyPath))
}

// runToken mints a token for the demo signing key.
func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "Prints a token signed with the running demo's key (or -key).")
	key := fs.String("key", "", "PEM private key to sign with (default: the running demo's; $SYNCGATE_DEMO_DIR's when set)")
	scopes := fs.String("scopes", strings.Join(allScopes, ","), "comma-separated scopes")
	sub := fs.String("sub", "demo-user", "subject")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	roles := fs.Bool("roles", false, "put the scopes in the roles claim, as Entra app-only tokens do")
	issuer := fs.String("issuer", demoIssuer, "iss claim")
	audience := fs.String("audience", demoAudience, "aud claim")
	if help, err := parseFlags(fs, args, stdout, stderr); help || err != nil {
		return err
	}
	if *key == "" {
		path, err := demoKeyPath(getenv)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		*key = path
	}
	m, err := auth.LoadMinter(*key, *issuer, *audience)
	if err != nil {
		return fmt.Errorf("token: %w (is `syncgate demo` running?)", err)
	}
	var list []string
	for _, s := range strings.Split(*scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	tok, err := m.Mint(auth.MintClaims{Subject: *sub, Scopes: list, TTL: *ttl, Roles: *roles})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runSim runs only the simulators, for other tools' tests and load runs.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sim", "Runs only the simulated backends and prints the SYNCGATE_* settings that point a gateway at them.")
	dir := fs.String("dir", "", "folder for the CA certificate (default: a new temporary folder)")
	syncTime := fs.Duration("sync-duration", 8*time.Second, "how long a simulated Veeam sync takes from Queued to Success")
	if help, err := parseFlags(fs, args, stdout, stderr); help || err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "syncgate-sim-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sims, err := startSimulators(ctx, *dir, *syncTime, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "SYNCGATE_VEEAM_URL=%s\nSYNCGATE_VEEAM_USERNAME=%s\nSYNCGATE_VEEAM_PASSWORD=%s\nSYNCGATE_VEEAM_CA_FILE=%s\n",
		sims.veeamURL, sims.veeamUser, sims.veeamPassword, sims.caFile)
	fmt.Fprintf(stdout, "SYNCGATE_GRAPH_TENANT_ID=%s\nSYNCGATE_GRAPH_CLIENT_ID=%s\nSYNCGATE_GRAPH_CLIENT_SECRET=%s\nSYNCGATE_GRAPH_AUTHORITY_URL=%s\nSYNCGATE_GRAPH_BASE_URL=%s\nSYNCGATE_GRAPH_CA_FILE=%s\n",
		graphsim.SeedTenantID, graphsim.SeedClientID, sims.graphSecret, sims.loginURL, sims.graphURL, sims.caFile)
	<-ctx.Done()
	return nil
}
