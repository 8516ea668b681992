package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// mask is what a non-empty secret prints as.
const mask = "******"

// Secret is a configuration value that must never be printed: every way of
// formatting, marshalling or logging it gives "******" (or "" when it is
// empty). Reveal returns the value itself, for the one place that uses it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "******", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString returns the same as String, so %#v masks the secret too.
func (s Secret) GoString() string { return s.String() }

// Format masks the secret under every fmt verb and flag (%v, %+v, %#v, %s,
// %q, %x, ...).
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalText returns the masked secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON returns the masked secret as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return fmt.Appendf(nil, "%q", s.String()), nil }

// LogValue returns the masked secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// redactURL returns the URL held in s with its password (in the user info or
// a password query parameter) replaced by "******". A value that does not
// parse is masked whole: it is never echoed.
func redactURL(s Secret) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s.Reveal())
	if err != nil || u.Scheme == "" || u.Host == "" {
		return mask
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", mask)
		u.RawQuery = strings.ReplaceAll(q.Encode(), url.QueryEscape(mask), mask)
	}
	user := u.User
	u.User = nil
	if user == nil {
		return u.String()
	}
	info := url.User(user.Username()).String()
	if _, ok := user.Password(); ok {
		info += ":" + mask
	}
	rest := strings.TrimPrefix(u.String(), u.Scheme+"://")
	return u.Scheme + "://" + info + "@" + rest
}
