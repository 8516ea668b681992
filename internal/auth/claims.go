package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// UnmarshalJSON reads the claims syncgate uses by their exact names.
// encoding/json alone matches member names case-insensitively and lets the
// last duplicate win, so {"exp":<past>,"EXP":<future>} would pass and "SCP"
// would grant scopes. A claim given twice refuses the token, and exp, nbf and
// iat must be JSON numbers (RFC 7519 NumericDate), not strings.
func (c *claims) UnmarshalJSON(b []byte) error {
	members, err := exactMembers(b)
	if err != nil {
		return err
	}
	*c = claims{}
	dates := []struct {
		name string
		dst  **jwt.NumericDate
	}{{"exp", &c.ExpiresAt}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}}
	for _, d := range dates {
		raw, ok := members[d.name]
		if !ok || string(raw) == "null" {
			continue
		}
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return fmt.Errorf("claim %s is not a number", d.name)
		}
		var nd jwt.NumericDate
		if err := nd.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("claim %s: %w", d.name, err)
		}
		*d.dst = &nd
	}
	fields := []struct {
		name string
		dst  any
	}{
		{"iss", &c.Issuer}, {"sub", &c.Subject}, {"jti", &c.ID}, {"aud", &c.Audience},
		{"scp", &c.Scp}, {"scope", &c.Scope}, {"roles", &c.Roles},
		{"azp", &c.AZP}, {"appid", &c.AppID}, {"client_id", &c.CID}, {"oid", &c.OID},
	}
	for _, f := range fields {
		raw, ok := members[f.name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return fmt.Errorf("claim %s: %w", f.name, err)
		}
	}
	return nil
}

// exactMembers splits a JSON object into its members by exact name, refusing
// a name that appears twice.
func exactMembers(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("claims are not a JSON object")
	}
	members := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("claim %q appears more than once", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		members[name] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return members, nil
}
