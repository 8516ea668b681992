package veeam

import (
	"cmp"
	"encoding/json"
	"net/http"
	"strings"

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
	e, body := upstream.ResponseError(service, op, resp, c.now())
	if len(body) == 0 {
		return e
	}
	var info exceptionInfo
	if err := json.Unmarshal(body, &info); err != nil || body[0] != '{' {
		e.ForeignBody(resp, "RESTExceptionInfo", len(body))
		return e
	}
	e.Code = info.ErrorCode
	var oauthCode string
	if e.Code == "" && json.Unmarshal(info.OAuthError, &oauthCode) == nil {
		e.Code = oauthCode
	}
	e.SetMessage(cmp.Or(info.Message, info.OAuthDescription))
	if kind, ok := codeKind(info.ErrorCode); ok {
		e.Refine(kind)
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
