package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestJWTMaxLifetime: SYNCGATE_JWT_MAX_LIFETIME is off unless set, and a
// negative or malformed value is refused.
func TestJWTMaxLifetime(t *testing.T) {
	if got := mustLoad(t, minimal(nil)).JWT.MaxLifetime; got != 0 {
		t.Errorf("default max lifetime %s, want 0 (off)", got)
	}
	if got := mustLoad(t, minimal(map[string]string{"SYNCGATE_JWT_MAX_LIFETIME": "90m"})).JWT.MaxLifetime; got != 90*time.Minute {
		t.Errorf("max lifetime %s, want 90m", got)
	}
	for _, bad := range []string{"-1h", "an hour"} {
		if ps := problems(t, minimal(map[string]string{"SYNCGATE_JWT_MAX_LIFETIME": bad})); len(ps) != 1 || ps[0].Var != "SYNCGATE_JWT_MAX_LIFETIME" {
			t.Errorf("%q: problems %v, want one about SYNCGATE_JWT_MAX_LIFETIME", bad, ps)
		}
	}
}

// TestConfigLogRedactsJWKSQuery: the start-up line names the JWKS URL
// without its query (which may carry a signature or key) or user information.
func TestConfigLogRedactsJWKSQuery(t *testing.T) {
	c := mustLoad(t, minimal(map[string]string{"SYNCGATE_JWT_JWKS_URL": "https://issuer.example.com/keys?sig=Q-S3CRET"}))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	for _, out := range []string{buf.String(), c.LogValue().String()} {
		if strings.Contains(out, "Q-S3CRET") {
			t.Errorf("the JWKS URL's query reached the log: %s", out)
		}
		if !strings.Contains(out, "https://issuer.example.com/keys") {
			t.Errorf("the JWKS URL is not named: %s", out)
		}
	}
}

// TestWriteTimeoutCoversBackends: a write timeout that a backend timeout
// (plus the second kept to answer) reaches is refused at start: the caller
// would get a closed connection where the gateway logged a 504.
func TestWriteTimeoutCoversBackends(t *testing.T) {
	veeam := map[string]string{
		"SYNCGATE_VEEAM_URL": "https://vb365.example.com", "SYNCGATE_VEEAM_USERNAME": "svc", "SYNCGATE_VEEAM_PASSWORD": "pw",
	}
	with := func(extra map[string]string) map[string]string {
		m := minimal(veeam)
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	mustLoad(t, with(nil)) // 30s backend, 60s write timeout
	mustLoad(t, with(map[string]string{"SYNCGATE_HTTP_WRITE_TIMEOUT": "0"}))
	for _, tt := range []map[string]string{
		{"SYNCGATE_VEEAM_TIMEOUT": "60s"},
		{"SYNCGATE_VEEAM_TIMEOUT": "90s"},
		{"SYNCGATE_HTTP_WRITE_TIMEOUT": "30500ms"},
		{"SYNCGATE_HTTP_WRITE_TIMEOUT": "1s", "SYNCGATE_VEEAM_TIMEOUT": "100ms"},
	} {
		ps := problems(t, with(tt))
		if len(ps) != 1 || ps[0].Var != "SYNCGATE_HTTP_WRITE_TIMEOUT" {
			t.Errorf("%v: problems %v, want one about SYNCGATE_HTTP_WRITE_TIMEOUT", tt, ps)
		}
	}
}

// TestShutdownGraceDefault: unset, the grace is the write timeout, the
// longest a request can last (20 s with the write timeout disabled); set, it
// is what is set.
func TestShutdownGraceDefault(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want time.Duration
	}{
		{nil, 60 * time.Second},
		{map[string]string{"SYNCGATE_HTTP_WRITE_TIMEOUT": "90s"}, 90 * time.Second},
		{map[string]string{"SYNCGATE_HTTP_WRITE_TIMEOUT": "0"}, 20 * time.Second},
		{map[string]string{"SYNCGATE_SHUTDOWN_GRACE": "5s"}, 5 * time.Second},
	} {
		if got := mustLoad(t, minimal(tt.env)).ShutdownGrace; got != tt.want {
			t.Errorf("%v: grace %s, want %s", tt.env, got, tt.want)
		}
	}
}

// TestMaxConnections: SYNCGATE_MAX_CONNECTIONS is a positive number; unset
// is 0 (derived from the open-file limit at start).
func TestMaxConnections(t *testing.T) {
	if got := mustLoad(t, minimal(nil)).MaxConnections; got != 0 {
		t.Errorf("default %d, want 0", got)
	}
	if got := mustLoad(t, minimal(map[string]string{"SYNCGATE_MAX_CONNECTIONS": "500"})).MaxConnections; got != 500 {
		t.Errorf("got %d, want 500", got)
	}
	for _, bad := range []string{"0", "-1", "many"} {
		if ps := problems(t, minimal(map[string]string{"SYNCGATE_MAX_CONNECTIONS": bad})); len(ps) != 1 || ps[0].Var != "SYNCGATE_MAX_CONNECTIONS" {
			t.Errorf("%q: problems %v", bad, ps)
		}
	}
}
