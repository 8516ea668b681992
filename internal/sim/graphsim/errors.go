package graphsim

// Graph's error answers: the codes, the body, and the catalogue of default
// codes and messages per status.

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Graph error codes the simulator answers with (error.code).
const (
	CodeBadRequest                 = "BadRequest"
	CodeRequestBadRequest          = "Request_BadRequest"
	CodeInvalidAuthenticationToken = "InvalidAuthenticationToken"
	CodeAuthorizationRequestDenied = "Authorization_RequestDenied"
	CodeRequestResourceNotFound    = "Request_ResourceNotFound"
	CodeResourceNotFound           = "ResourceNotFound"
	CodeTooManyRequests            = "TooManyRequests"
	CodeServiceNotAvailable        = "serviceNotAvailable"
	CodeGatewayTimeout             = "gatewayTimeout"
)

// graphError is Graph's error body.
type graphError struct {
	Error graphErrorDetail `json:"error"`
}

type graphErrorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// defaultError is the code and message Graph answers a status with when
// the simulator has no more specific ones (unmatched routes, faults
// injected without a code).
func defaultError(status int) (string, string) {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest, "The request is invalid."
	case http.StatusUnauthorized:
		return CodeInvalidAuthenticationToken, "Access token validation failure."
	case http.StatusForbidden:
		return CodeAuthorizationRequestDenied, "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return CodeResourceNotFound, "The requested resource was not found."
	case http.StatusMethodNotAllowed:
		return CodeRequestBadRequest, "Specified HTTP method is not allowed for the request uri."
	case http.StatusTooManyRequests:
		return CodeTooManyRequests, "Too many requests. Retry after the time given in the Retry-After header."
	case http.StatusServiceUnavailable:
		return CodeServiceNotAvailable, "The service is temporarily unavailable. Retry after the time given in the Retry-After header."
	case http.StatusGatewayTimeout:
		return CodeGatewayTimeout, "The request timed out."
	default:
		return "UnknownError", http.StatusText(status)
	}
}

// writeError writes a Graph error body; it is also the sim.ErrorWriter for
// faults and unmatched routes. The request ids come from the headers
// ServeHTTP set.
func (g *Graph) writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	defCode, defMsg := defaultError(status)
	if code == "" {
		code = defCode
	}
	if message == "" || message == http.StatusText(status) {
		message = defMsg
	}
	body := graphError{Error: graphErrorDetail{
		Code:    code,
		Message: message,
		InnerError: innerError{
			Date:            g.clock.Now().UTC().Format("2006-01-02T15:04:05"),
			RequestID:       w.Header().Get("request-id"),
			ClientRequestID: w.Header().Get("client-request-id"),
		},
	}}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"error":{"code":"UnknownError","message":""}}`) // cannot happen: only strings
	}
	g.log.Debug("graphsim: error", "status", status, "code", code, "request_id", body.Error.InnerError.RequestID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
