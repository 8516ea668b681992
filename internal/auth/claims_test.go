package auth

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testHMACSecret = []byte("0123456789abcdef0123456789abcdef")

// signRaw signs a payload written by hand (HS256), so that a test can send
// what jwt.MapClaims cannot: duplicate and differently-cased claim names.
func signRaw(t *testing.T, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(unsigned, testHMACSecret)
	if err != nil {
		t.Fatal(err)
	}
	return unsigned + "." + enc.EncodeToString(sig)
}

// TestClaimsExactNames: registered and scope claims are read by their exact
// names, a claim given twice refuses the token, exp must be a number, and
// scopes split on U+0020 only. encoding/json alone folds case and keeps the
// last duplicate, which let an expired token pass with "EXP" in the future.
func TestClaimsExactNames(t *testing.T) {
	v := newTestVerifier(t, Config{HMACSecret: testHMACSecret}, nil)
	now := time.Now()
	past, future := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix()
	base := fmt.Sprintf(`"iss":%q,"aud":%q,"sub":"u","iat":%d`, testIssuer, testAudience, now.Unix())
	tok := func(rest string) string { return signRaw(t, "{"+base+","+rest+"}") }
	scopes := func(s ...string) *Principal { return &Principal{Subject: "u", Issuer: testIssuer, Scopes: s} }
	runVerifyCases(t, v, []verifyCase{
		{name: "valid", token: tok(fmt.Sprintf(`"exp":%d,"scp":"a b"`, future)), want: scopes("a", "b")},
		{name: "expired exp with EXP in the future", token: tok(fmt.Sprintf(`"exp":%d,"EXP":%d`, past, future)), wantErr: reasonExpired},
		{name: "only EXP", token: tok(fmt.Sprintf(`"EXP":%d`, future)), wantErr: reasonNoExpiry},
		{name: "exp twice", token: tok(fmt.Sprintf(`"exp":%d,"exp":%d`, past, future)), wantErr: reasonMalformed},
		{name: "wrong aud with AUD", token: signRaw(t, fmt.Sprintf(`{"iss":%q,"aud":"api://other-app","AUD":%q,"exp":%d}`, testIssuer, testAudience, future)), wantErr: reasonAudience},
		{name: "aud twice", token: tok(fmt.Sprintf(`"exp":%d,"aud":"x"`, future)), wantErr: reasonMalformed},
		{name: "wrong iss with Iss", token: signRaw(t, fmt.Sprintf(`{"iss":"https://evil.test/","Iss":%q,"aud":%q,"exp":%d}`, testIssuer, testAudience, future)), wantErr: reasonIssuer},
		{name: "SCP grants nothing", token: tok(fmt.Sprintf(`"exp":%d,"SCP":"a"`, future)), want: scopes()},
		{name: "Roles grants nothing", token: tok(fmt.Sprintf(`"exp":%d,"Roles":["a"]`, future)), want: scopes()},
		{name: "ScOpE grants nothing", token: tok(fmt.Sprintf(`"exp":%d,"ScOpE":"a"`, future)), want: scopes()},
		{name: "scp twice", token: tok(fmt.Sprintf(`"exp":%d,"scp":"a","scp":"b"`, future)), wantErr: reasonMalformed},
		{name: "exp as a string", token: tok(fmt.Sprintf(`"exp":"%d"`, future)), wantErr: reasonMalformed},
		{name: "nbf as a string", token: tok(fmt.Sprintf(`"exp":%d,"nbf":"%d"`, future, past)), wantErr: reasonMalformed},
		{name: "one roles element with a space", token: tok(fmt.Sprintf(`"exp":%d,"roles":["Readers Organizations.Sync"]`, future)), want: scopes("Readers Organizations.Sync")},
		{name: "ideographic space", token: tok(fmt.Sprintf(`"exp":%d,"scp":"Readers\u3000Organizations.Sync"`, future)), want: scopes("Readers\u3000Organizations.Sync")},
		{name: "tab is no separator", token: tok(fmt.Sprintf(`"exp":%d,"scope":"a\tb"`, future)), want: scopes("a\tb")},
		{name: "double space", token: tok(fmt.Sprintf(`"exp":%d,"scope":"a  b"`, future)), want: scopes("a", "b")},
	})
}

// TestMaxLifetime: with MaxLifetime set, a token whose exp is further from
// its iat (or, without iat, from now) is refused; unset, any lifetime passes.
func TestMaxLifetime(t *testing.T) {
	limited := newTestVerifier(t, Config{HMACSecret: testHMACSecret, MaxLifetime: time.Hour, Leeway: time.Second}, nil)
	unlimited := newTestVerifier(t, Config{HMACSecret: testHMACSecret}, nil)
	now := time.Now()
	day := sign(t, jwt.SigningMethodHS256, testHMACSecret, "", claimsNow(jwt.MapClaims{"exp": now.Add(24 * time.Hour).Unix()}))
	dayNoIat := sign(t, jwt.SigningMethodHS256, testHMACSecret, "", claimsNow(jwt.MapClaims{"iat": nil, "exp": now.Add(24 * time.Hour).Unix()}))
	hour := sign(t, jwt.SigningMethodHS256, testHMACSecret, "", claimsNow(jwt.MapClaims{"exp": now.Add(59 * time.Minute).Unix()}))
	hourNoIat := sign(t, jwt.SigningMethodHS256, testHMACSecret, "", claimsNow(jwt.MapClaims{"iat": nil, "exp": now.Add(59 * time.Minute).Unix()}))
	runVerifyCases(t, limited, []verifyCase{
		{name: "a day", token: day, wantErr: reasonLifetime},
		{name: "a day without iat", token: dayNoIat, wantErr: reasonLifetime},
		{name: "under an hour", token: hour},
		{name: "under an hour without iat", token: hourNoIat},
	})
	runVerifyCases(t, unlimited, []verifyCase{{name: "a day, no limit", token: day}})
}
