package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCLIConventions checks what a person typing at the shell expects: help
// on stdout with exit 0, --version and -v as `version`, and an unknown
// command or flag refused with the commands listed on stderr.
func TestCLIConventions(t *testing.T) {
	tests := []struct {
		args       []string
		wantErr    bool
		wantStdout string // a substring of stdout
		wantStderr string // a substring of stderr ("" means stderr stays empty)
	}{
		{args: []string{"-h"}, wantStdout: "syncgate demo"},
		{args: []string{"--help"}, wantStdout: "syncgate demo"},
		{args: []string{"help"}, wantStdout: "syncgate demo"},
		{args: []string{"serve", "-h"}, wantStdout: "SYNCGATE_VEEAM_USERNAME"},
		// Every setting with its default, as README's table gives it.
		{args: []string{"serve", "-h"}, wantStdout: "(greater than 0). Default: 24h.\n"},
		{args: []string{"serve", "--help"}, wantStdout: "Usage: syncgate serve"},
		{args: []string{"token", "-h"}, wantStdout: "-scopes"},
		{args: []string{"demo", "-h"}, wantStdout: "-addr"},
		{args: []string{"sim", "--help"}, wantStdout: "-sync-duration"},
		{args: []string{"version"}, wantStdout: "syncgate " + version},
		{args: []string{"--version"}, wantStdout: "syncgate " + version},
		{args: []string{"-v"}, wantStdout: "syncgate " + version},
		{args: []string{"bogus"}, wantErr: true, wantStderr: "syncgate demo"},
		{args: []string{"token", "-bogus"}, wantErr: true, wantStderr: "flag provided but not defined: -bogus"},
		{args: []string{"token", "stray"}, wantErr: true, wantStderr: "Usage: syncgate token"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"syncgate"}, tt.args...), envMap(nil), &stdout, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("run = %v; want error %v\nstderr: %s", err, tt.wantErr, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantStdout)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr = %q; want nothing", stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"syncgate", "bogus"}, envMap(nil), &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "serve, demo, token, sim, version and help") {
		t.Errorf("unknown command error = %v; want the commands listed", err)
	}
}

// TestServeWarnsOfUnknownVariables sets a mistyped variable in the process's
// environment: a start that fails names it with the variable meant, and a
// start that succeeds logs a warning naming both.
func TestServeWarnsOfUnknownVariables(t *testing.T) {
	t.Setenv("SYNCGATE_VEEAM_USER", "svc")
	t.Setenv("SYNCGATE_JWT_ISSUERS", "https://issuer.test/")
	t.Setenv("SYNCGATE_JWT_AUDIENCES", "api://syncgate")
	t.Setenv("SYNCGATE_VEEAM_URL", "https://vb365.example.com:4443")
	t.Setenv("SYNCGATE_VEEAM_PASSWORD", "pa55word")
	err := run(context.Background(), []string{"syncgate", "serve"}, os.Getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SYNCGATE_VEEAM_USER is not a syncgate variable (did you mean SYNCGATE_VEEAM_USERNAME?)") {
		t.Fatalf("run = %v; want the failed start to name SYNCGATE_VEEAM_USER and SYNCGATE_VEEAM_USERNAME", err)
	}

	t.Setenv("SYNCGATE_VEEAM_URL", "")
	t.Setenv("SYNCGATE_VEEAM_PASSWORD", "")
	t.Setenv("SYNCGATE_JWT_HMAC_SECRET", strings.Repeat("k", 32))
	t.Setenv("SYNCGATE_LISTEN_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs, done := &syncBuffer{}, make(chan error, 1)
	go func() { done <- run(ctx, []string{"syncgate", "serve"}, os.Getenv, logs, io.Discard) }()
	waitFor(t, "the gateway to listen", 10*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs)
		default:
		}
		return strings.Contains(logs.String(), `"msg":"listening"`)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"SYNCGATE_VEEAM_USER is not a syncgate variable (did you mean SYNCGATE_VEEAM_USERNAME?)"`) {
		t.Fatalf("no warning naming SYNCGATE_VEEAM_USER and SYNCGATE_VEEAM_USERNAME in:\n%s", logs)
	}
}
