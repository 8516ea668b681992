package config

import (
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
