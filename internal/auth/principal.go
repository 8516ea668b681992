package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/syncgate/syncgate/internal/reqstate"
)

// Principal is the verified caller.
type Principal struct {
	// Subject is sub.
	Subject string
	// ObjectID is oid (Entra's object id of the user or service principal).
	ObjectID string
	// ClientID is azp, else appid (Entra v1 tokens), else client_id (RFC 9068).
	ClientID string
	// Issuer is iss.
	Issuer string
	// Scopes is the union, without duplicates, of scp (Entra delegated
	// tokens), scope (RFC 9068) and roles (Entra app-only tokens).
	Scopes []string

	// scopesJSON is Scopes as a JSON array, made once when the token is
	// verified (the token cache shares the principal between requests), for
	// the audit record of every start.
	scopesJSON json.RawMessage
}

// ScopesJSON is Scopes as a JSON array ("[]" for none). A principal from a
// verified token has it made already; any other is encoded here.
func (p *Principal) ScopesJSON() json.RawMessage {
	if p.scopesJSON != nil {
		return p.scopesJSON
	}
	return scopesJSON(p.Scopes)
}

// scopesJSON encodes scopes as the JSON log handler would (no HTML escaping).
func scopesJSON(scopes []string) json.RawMessage {
	if scopes == nil {
		scopes = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(scopes) // a []string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// HasScope reports whether the principal holds scope (exact match).
func (p *Principal) HasScope(scope string) bool {
	return p != nil && slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal Authenticate stored in the request's
// reqstate.State, or one stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	if st := reqstate.From(ctx); st != nil {
		if p, ok := st.Principal.(*Principal); ok && p != nil {
			return p, true
		}
	}
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// claims is what syncgate reads from an access token.
type claims struct {
	jwt.RegisteredClaims
	Scp   stringList `json:"scp"`
	Scope stringList `json:"scope"`
	Roles stringList `json:"roles"`
	AZP   string     `json:"azp"`
	AppID string     `json:"appid"`
	CID   string     `json:"client_id"`
	OID   string     `json:"oid"`
}

func (c *claims) principal() *Principal {
	p := &Principal{Subject: c.Subject, ObjectID: c.OID, ClientID: c.AZP, Issuer: c.Issuer}
	if p.ClientID == "" {
		p.ClientID = c.AppID
	}
	if p.ClientID == "" {
		p.ClientID = c.CID
	}
	for _, list := range []stringList{c.Scp, c.Scope, c.Roles} {
		for _, s := range list {
			if !slices.Contains(p.Scopes, s) {
				p.Scopes = append(p.Scopes, s)
			}
		}
	}
	p.scopesJSON = scopesJSON(p.Scopes)
	return p
}

// stringList is a claim given either as one string of space-separated
// values (RFC 6749 §3.3: split on U+0020 only) or as an array of strings,
// each one value.
type stringList []string

// UnmarshalJSON accepts a string, an array of strings, or null.
func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = nil
		for v := range strings.SplitSeq(s, " ") {
			if v != "" {
				*l = append(*l, v)
			}
		}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return errors.New("scope claim is neither a string nor an array of strings")
	}
	*l = slices.DeleteFunc(a, func(s string) bool { return s == "" })
	return nil
}
