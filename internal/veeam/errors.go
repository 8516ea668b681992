package veeam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/syncgate/syncgate/internal/upstream"
)

// exceptionInfo is Veeam's error body, RESTExceptionInfo, plus the OAuth
// error fields a token endpoint may answer with. Its stackTrace is never
// decoded, so it cannot reach an error or a log line.
type exceptionInfo struct {
	Message          string          `json:"message"`
	ErrorCode        string          `json:"errorCode"`
	OAuthError       json.RawMessage `json:"error"`
	OAuthDescription string          `json:"error_description"`
}

// responseError classifies a non-2xx answer: by errorCode when it names a
// known one, else by status. A non-empty body that is not RESTExceptionInfo
// is KindBadResponse, except on 429, 502, 503 and 504, which proxies and load
// balancers send with bodies of their own.
func (c *Client) responseError(op string, resp *http.Response) *upstream.Error {
	e := &upstream.Error{Service: service, Op: op, Status: resp.StatusCode}
	retryAfter, hasRetryAfter := upstream.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	if hasRetryAfter {
		e.RetryAfter = retryAfter
	}
	e.Kind = upstream.KindForStatus(resp.StatusCode, hasRetryAfter)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		e.Err = fmt.Errorf("read error body: %w", err)
		return e
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return e
	}
	var info exceptionInfo
	if err := json.Unmarshal(body, &info); err != nil || body[0] != '{' {
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			e.Kind = upstream.KindBadResponse
		}
		e.Message = fmt.Sprintf("error body is not RESTExceptionInfo (%s, %d bytes)", contentType(resp), len(body))
		return e
	}
	e.Code, e.Message = info.ErrorCode, info.Message
	var oauthCode string
	if e.Code == "" && json.Unmarshal(info.OAuthError, &oauthCode) == nil {
		e.Code = oauthCode
	}
	if e.Message == "" {
		e.Message = info.OAuthDescription
	}
	e.Message = truncate(e.Message, maxMessage)
	if kind, ok := codeKind(info.ErrorCode); ok {
		e.Kind = kind
	}
	return e
}

// codeKind maps Veeam's documented errorCode values to a kind. Other codes
// (HttpError, OrganizationTransfer, ...) fall back to the status.
func codeKind(code string) (upstream.Kind, bool) {
	switch strings.ToLower(code) {
	case "resourcenotfound":
		return upstream.KindNotFound, true
	case "operationconflict":
		return upstream.KindConflict, true
	case "parametervalidationfailure":
		return upstream.KindInvalid, true
	case "resourceaccessdenied":
		return upstream.KindAuth, true
	case "timeout":
		return upstream.KindTimeout, true
	case "proxyoffline":
		return upstream.KindUnavailable, true
	}
	return 0, false
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "no content type"
}

// truncate keeps at most n characters of s.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
