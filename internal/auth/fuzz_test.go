package auth

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// FuzzClaims signs any payload (HS256) and verifies it: never a panic; a
// refusal is a *TokenError; an accepted token's scopes are non-empty and
// distinct, and its payload has exp, as a number.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://login.example.test/tenant/v2.0","aud":"api://syncgate","exp":4102444800,"scp":"a b"}`,
		`{"iss":"https://login.example.test/tenant/v2.0","aud":["api://syncgate"],"exp":4102444800,"EXP":1,"roles":["a b","c"]}`,
		`{"exp":1e300,"nbf":-1e300,"iat":"1"}`,
		`{"exp":4102444800,"exp":1}`,
		`{"scp":"a\u3000b","ScOpE":"c","exp":4102444800,"iss":"https://login.example.test/tenant/v2.0","aud":"api://syncgate"}`,
		`[]`, `null`, `{"exp":null}`,
	} {
		f.Add(s)
	}
	v, err := NewVerifier(f.Context(), Config{HMACSecret: testHMACSecret, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		p, err := v.Verify(t.Context(), signRaw(t, payload))
		if err != nil {
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T) is not a TokenError", err, err)
			}
			return
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal([]byte(payload), &members); err != nil {
			t.Fatalf("accepted a payload that is not a JSON object: %s", payload)
		}
		if exp := members["exp"]; len(exp) == 0 || exp[0] != '-' && (exp[0] < '0' || exp[0] > '9') {
			t.Fatalf("accepted a payload without a numeric exp: %s", payload)
		}
		for i, s := range p.Scopes {
			if s == "" || slices.Contains(p.Scopes[i+1:], s) {
				t.Fatalf("scopes %q from %s", p.Scopes, payload)
			}
		}
	})
}
