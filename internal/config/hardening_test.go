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
