package graphsim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/syncgate/syncgate/internal/sim"
)

// Application permissions (app roles) the simulated Graph checks.
const (
	RoleApplicationRead      = "Application.Read.All"
	RoleApplicationReadWrite = "Application.ReadWrite.All"
	RoleSyncRead             = "Synchronization.Read.All"
	RoleSyncReadWrite        = "Synchronization.ReadWrite.All"
)

// defaultRoles are the roles of a client registered without Roles: what an
// operator grants the gateway.
func defaultRoles() []string { return []string{RoleApplicationRead, RoleSyncReadWrite} }

// Grant is what an access token stands for.
type Grant struct {
	ClientID  string
	Tenant    string
	Audience  string   // the resource, such as https://graph.microsoft.com
	Roles     []string // application permissions granted to the client
	ExpiresAt time.Time
}

// has reports whether the grant carries any of roles.
func (g Grant) has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(g.Roles, r) {
			return true
		}
	}
	return false
}

// Tokens is the registry of access tokens shared by Login (which issues
// them) and Graph (which accepts them). Tokens are opaque random strings;
// they expire by the registry's clock.
type Tokens struct {
	clock sim.Clock

	mu sync.Mutex
	m  map[string]Grant
}

// NewTokens returns an empty registry using clock (nil: the system clock).
func NewTokens(clock sim.Clock) *Tokens {
	if clock == nil {
		clock = sim.SystemClock{}
	}
	return &Tokens{clock: clock, m: map[string]Grant{}}
}

// pruneAfter is how long an expired token is still remembered (so that it
// is reported as expired rather than unknown), and pruneAt the registry
// size at which forgotten ones are dropped.
const (
	pruneAfter = time.Hour
	pruneAt    = 1024
)

// Issue registers a new token for g and returns it.
func (t *Tokens) Issue(g Grant) (string, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("graphsim: issue token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	g.Roles = slices.Clone(g.Roles)
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= pruneAt {
		for k, v := range t.m {
			if now.Sub(v.ExpiresAt) > pruneAfter {
				delete(t.m, k)
			}
		}
	}
	t.m[tok] = g
	return tok, nil
}

// tokenState is the outcome of looking a token up.
type tokenState int

const (
	tokenValid tokenState = iota
	tokenUnknown
	tokenExpired
)

// lookup returns the grant of a token and whether it is valid now.
func (t *Tokens) lookup(tok string) (Grant, tokenState) {
	now := t.clock.Now()
	t.mu.Lock()
	g, ok := t.m[tok]
	t.mu.Unlock()
	switch {
	case !ok:
		return Grant{}, tokenUnknown
	case !now.Before(g.ExpiresAt):
		return g, tokenExpired
	default:
		return g, tokenValid
	}
}

// Valid reports whether tok is a known, unexpired token.
func (t *Tokens) Valid(tok string) bool {
	_, s := t.lookup(tok)
	return s == tokenValid
}

// ExpireAll makes every token issued so far expired.
func (t *Tokens) ExpireAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, g := range t.m {
		g.ExpiresAt = time.Time{}
		t.m[k] = g
	}
}

// sameResource compares two resource URIs as Entra does: case-insensitively,
// ignoring a trailing slash.
func sameResource(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}
