package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/config"
	"github.com/syncgate/syncgate/internal/gateway"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/telemetry"
)

const usage = `syncgate — a REST gateway for Veeam Backup for Microsoft 365 organization syncs
and Microsoft Graph synchronization jobs.

Usage:
  syncgate [serve]     run the gateway, configured from SYNCGATE_* environment variables
  syncgate demo        gateway plus simulated backends on loopback, nothing to configure
  syncgate token       mint a token for the demo signing key
  syncgate sim         run only the simulated backends
  syncgate version     print the version (also -v, --version)
  syncgate help        this text (also -h, --help)

Run "syncgate <command> -h" for a command's flags; README.md lists every variable.
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 {
		switch rest[0] {
		case "-h", "-help", "--help":
			cmd, rest = "help", rest[1:]
		case "-v", "-version", "--version":
			cmd, rest = "version", rest[1:]
		default:
			if !strings.HasPrefix(rest[0], "-") {
				cmd, rest = rest[0], rest[1:]
			}
		}
	}
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(rest, getenv, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "syncgate", version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q; the commands are serve, demo, token, sim, version and help", cmd)
}

// newFlags is a command's flag set; its usage names the command, says what
// it does and lists the flags.
func newFlags(name, what string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: syncgate %s [flags]\n\n%s\n\nFlags:\n", name, what)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a command's flags. Asked for help (-h, -help, --help),
// it prints the command's usage to stdout and reports help, so the command
// exits 0; a bad flag prints the error and the usage to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (help bool, err error) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err = fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = stdout.Write(out.Bytes())
		return true, nil
	case err != nil:
		_, _ = stderr.Write(out.Bytes())
		return false, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		_, _ = stderr.Write(out.Bytes())
		return false, fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return false, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: syncgate serve\n\nConfigured from the environment:")
		for _, v := range config.Vars() {
			desc := v.Description
			if v.Default != "" {
				desc += " Default: " + v.Default + "."
			}
			fmt.Fprintf(fs.Output(), "  %-44s %s\n", v.Name, desc)
		}
	}
	if help, err := parseFlags(fs, args, stdout, stderr); help || err != nil {
		return err
	}
	unknown := unknownVars(getenv)
	cfg, err := config.Load(getenv)
	if err != nil {
		// A typo is the likeliest cause of a missing setting: say so.
		for _, u := range unknown {
			err = fmt.Errorf("%w\n  %s", err, u)
		}
		return err
	}
	logger := newLogger(cfg, stdout)
	for _, u := range unknown {
		logger.Warn(u.String(), "variable", u.Name, "closest", u.Closest)
	}
	return serve(ctx, cfg, logger, nil)
}

// unknownVars lists the SYNCGATE_* variables of the process's environment,
// as getenv sees them, that syncgate does not read.
func unknownVars(getenv func(string) string) []config.UnknownVar {
	var set []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); getenv(name) != "" {
			set = append(set, kv)
		}
	}
	return config.Unknown(set)
}

// newLogger makes the process's logger as configured.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	opts.ReplaceAttr = telemetry.SecondsDurations
	return slog.New(slog.NewJSONHandler(w, opts))
}

// serve runs the gateway until ctx ends, then shuts down gracefully. When
// listening is not nil it receives the bound address once the server accepts
// connections.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, listening chan<- string) error {
	logger.Info("starting syncgate", "version", version, "config", cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	store.LogRedisTo(logger)
	gw, err := gateway.New(ctx, cfg, logger, gateway.Hooks{Version: version})
	if err != nil {
		return err
	}
	defer func() {
		lctx, lcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer lcancel()
		gw.Close(lctx)
	}()

	maxConns, err := connectionLimit(cfg.MaxConnections)
	if err != nil {
		return err
	}
	// Requests run on base: it ends shortly before the shutdown grace does,
	// so that a request still waiting on a backend answers then.
	base, endRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer endRequests()
	srv := &http.Server{
		Addr:              cfg.ListenAddr,
		Handler:           gw.Handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	srv.ConnState = newPressure(srv, maxConns).connState
	// The metrics listener is up before the main one answers /healthz.
	metricsErrc := make(chan error, 1)
	if cfg.MetricsAddr != "" {
		msrv, err := serveMetrics(ctx, cfg.MetricsAddr, gw.MetricsHandler, logger, metricsErrc)
		if err != nil {
			return err
		}
		defer msrv.Close()
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln = limitListener(ln, maxConns)
	tlsOn := cfg.TLSCertFile != ""
	logger.Info("listening", "addr", ln.Addr().String(), "tls", tlsOn, "max_connections", maxConns)
	if listening != nil {
		listening <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() {
		if tlsOn {
			errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case err := <-metricsErrc:
		return fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", cfg.ShutdownGrace)
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
	defer scancel()
	cutoff := time.AfterFunc(cfg.ShutdownGrace-min(config.AnswerMargin, cfg.ShutdownGrace/4), func() {
		logger.Warn("shutdown grace nearly over: requests still in flight are cut short and answered")
		endRequests()
	})
	defer cutoff.Stop()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: in-flight requests did not finish within %s: %w", cfg.ShutdownGrace, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// serveMetrics serves GET /metrics alone on addr (SYNCGATE_METRICS_ADDR),
// sending the server's failure to errc; the caller closes the server.
func serveMetrics(ctx context.Context, addr string, metrics http.Handler, logger *slog.Logger, errc chan<- error) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics: %w", err)
	}
	logger.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	return srv, nil
}

// envMap is a getenv over a fixed set of variables.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
