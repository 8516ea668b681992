// Package redact removes credentials from text bound for logs: the query and
// user information of URLs, bearer tokens, JWTs and password-looking values,
// wherever they come from (configuration, transport errors, text a backend
// sent).
package redact

import (
	"net/url"
	"regexp"
)

// Mask replaces what was removed.
const Mask = "[redacted]"

// URL returns raw without its user information, query and fragment; a
// removed query or user information shows as Mask.
func URL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Text(raw)
	}
	hadQuery := u.RawQuery != "" || u.ForceQuery
	hadUser := u.User != nil
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	s := u.String()
	if hadUser && u.Host != "" {
		s = u.Scheme + "://" + Mask + "@" + s[len(u.Scheme)+3:]
	}
	if hadQuery {
		s += "?" + Mask
	}
	return s
}

var (
	// urlQuery is a URL's query (up to a space or quote).
	urlQuery = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s?#"'<>]*)\?[^\s"'<>]*`)
	// urlUser is a URL's user information.
	urlUser = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://)[^\s/@"'<>]+@`)
	// bearer is an Authorization credential: Bearer, Basic or a token.
	bearer = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+`)
	// jwt is a compact JWS or JWE, wherever it appears.
	jwt = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]*`)
	// secretValue is a password-looking name followed by = or : and a
	// value, quoted or not (password=x, "client_secret": "x", pwd: x).
	secretValue = regexp.MustCompile(`(?i)((?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|token|authorization|credentials?)"?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;"'}]+)`)
)

// Text returns s with every URL query and user information, bearer and
// basic credential, JWT and password-looking value replaced by Mask.
func Text(s string) string {
	s = urlQuery.ReplaceAllString(s, "${1}?"+Mask)
	s = urlUser.ReplaceAllString(s, "${1}"+Mask+"@")
	s = bearer.ReplaceAllString(s, "${1}${2}"+Mask)
	s = jwt.ReplaceAllString(s, Mask)
	s = secretValue.ReplaceAllString(s, "${1}"+Mask)
	return s
}
