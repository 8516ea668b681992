package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://login.example.com/keys", "https://login.example.com/keys"},
		{"https://login.example.com/keys?code=S3CRET&x=1", "https://login.example.com/keys?[redacted]"},
		{"https://user:S3CRET@login.example.com/keys#frag", "https://[redacted]@login.example.com/keys"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestText: what a backend or a transport error says keeps its meaning, and
// no credential survives.
func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "https://idp.test/keys?sig=S3CRET": dial tcp: refused`, `Get "https://idp.test/keys?[redacted]": dial tcp: refused`},
		{`login failed for https://svc:S3CRET@veeam.test/v8/token`, `login failed for https://[redacted]@veeam.test/v8/token`},
		{`invalid grant: password=S3CRET&username=svc`, `invalid grant: password=[redacted]&username=svc`},
		{`{"password":"S3CRET","user":"svc"}`, `{"password":[redacted],"user":"svc"}`},
		{`client_secret: S3CRET is expired`, `client_secret: [redacted] is expired`},
		{`header Authorization: Bearer S3CRET.x-y refused`, `header Authorization: [redacted] [redacted] refused`},
		{`token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTM0NSRVQifQ.c2ln was rejected`, `token [redacted] was rejected`},
		{`Basic c3ZjOlMzQ1JFVA==`, `Basic [redacted]`},
		{`send "Bearer S3CRET" next time`, `send "Bearer [redacted]" next time`},
		{`Organization 62c4ab35 is not found`, `Organization 62c4ab35 is not found`},
	}
	for _, tt := range tests {
		got := Text(tt.in)
		if got != tt.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "S3CRET") {
			t.Errorf("Text(%q) kept the secret: %q", tt.in, got)
		}
	}
}
