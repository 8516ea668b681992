package auth

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// TestJWKSURLNotLeaked: a JWKS that cannot be downloaded is logged without
// the URL's query, and Ready (what /readyz shows to anyone) says only that
// the signing keys are not loaded, naming neither host nor path.
func TestJWKSURLNotLeaked(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: every download fails with the URL in the error
	logger, logs := logBuffer()
	v := newTestVerifier(t, Config{JWKSURL: "http://" + addr + "/tenant/keys?sig=Q-S3CRET", UnknownKIDWait: 10 * time.Millisecond}, logger)
	err = v.Ready(t.Context())
	if !errors.Is(err, ErrKeysNotLoaded) {
		t.Fatalf("Ready = %v, want ErrKeysNotLoaded", err)
	}
	if msg := err.Error(); strings.Contains(msg, addr) || strings.Contains(msg, "/tenant/keys") {
		t.Errorf("Ready's message names the JWKS: %q", msg)
	}
	out := logs.String()
	if strings.Contains(out, "Q-S3CRET") {
		t.Errorf("the JWKS URL's query reached the log:\n%s", out)
	}
	if !strings.Contains(out, "JWKS download failed") || !strings.Contains(out, "/tenant/keys") {
		t.Errorf("the log does not say which JWKS failed:\n%s", out)
	}
}
