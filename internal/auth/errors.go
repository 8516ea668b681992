package auth

import (
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// ErrNoToken means the request carries no bearer token (RFC 6750 §3.1: the
// challenge then has no error code).
var ErrNoToken = errors.New("no bearer token")

// TokenError is a bearer token that was refused. Its message is a short reason
// that is safe to show the caller and to put in error_description; the
// underlying error (from golang-jwt, keyfunc, or this package) is kept for
// errors.Is and logs. Neither ever holds the token.
type TokenError struct {
	Reason string
	Err    error
}

// Error returns the safe reason.
func (e *TokenError) Error() string { return e.Reason }

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// ScopeError is a valid token without the scope a route requires.
type ScopeError struct {
	Scope string
}

// Error names the missing scope.
func (e *ScopeError) Error() string { return fmt.Sprintf("token lacks the %q scope", e.Scope) }

// Reasons given by TokenError.Error.
const (
	reasonMalformed   = "token malformed"
	reasonAlgorithm   = "algorithm not allowed"
	reasonKeyNotFound = "signing key not found"
	reasonKeyMismatch = "signing key does not fit the algorithm"
	reasonSignature   = "signature invalid"
	reasonExpired     = "token expired"
	reasonNoExpiry    = "token has no expiry"
	reasonNotYetValid = "token not valid yet"
	reasonIssuedLater = "token issued in the future"
	reasonIssuer      = "token issuer not accepted"
	reasonAudience    = "token audience not accepted"
	reasonLifetime    = "token lifetime longer than allowed"
	reasonInvalid     = "token invalid"
	reasonSeveral     = "several Authorization headers"
)

var (
	errAlgorithm   = errors.New("algorithm not allowed")
	errLifetime    = errors.New("token lifetime longer than allowed")
	errKeyNotFound = errors.New("no signing key with the token's key id")
	errKeyMismatch = errors.New("signing key does not fit the token's algorithm")
)

// reason maps an error from jwt.Parser to a safe, short reason. The order
// matters: the first failure found in the token's processing wins.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return reasonMalformed
	case errors.Is(err, errAlgorithm):
		return reasonAlgorithm
	case errors.Is(err, errKeyMismatch):
		return reasonKeyMismatch
	case errors.Is(err, errKeyNotFound), errors.Is(err, jwt.ErrTokenUnverifiable):
		return reasonKeyNotFound
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return reasonSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		return reasonExpired
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// exp is the only claim the parser is told to require.
		return reasonNoExpiry
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return reasonNotYetValid
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return reasonIssuedLater
	}
	return reasonInvalid
}
