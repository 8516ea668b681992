package upstream

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Adapter is what the Veeam and Graph adapters derive from their
// configuration in the same way.
type Adapter struct {
	HTTP   *http.Client
	Now    func() time.Time
	Retry  RetryPolicy // its Now is the adapter's clock
	Logger *slog.Logger
}

// NewAdapter fills those shared defaults: an HTTP client trusting the system
// roots when hc is nil, time.Now when now is nil, the retry policy's clock,
// and a logger tagged with the service (discarding when logger is nil). It
// warns, loudly, when the base URL is plain http or the client skips
// certificate verification: the gateway's credentials could then reach
// anyone on the network path.
func NewAdapter(service string, base *url.URL, hc *http.Client, now func() time.Time, retry RetryPolicy, logger *slog.Logger) (Adapter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if hc == nil {
		var err error
		if hc, err = NewHTTPClient(HTTPConfig{}); err != nil {
			return Adapter{}, fmt.Errorf("%s: %w", service, err)
		}
	}
	if now == nil {
		now = time.Now
	}
	if retry.Now == nil {
		retry.Now = now
	}
	logger = logger.With("service", service)
	if base.Scheme == "http" {
		logger.Warn(service+": base URL is plain http: credentials and tokens cross the network unencrypted", "url", base.Redacted())
	}
	if InsecureSkipVerify(hc) {
		logger.Warn(service+": TLS certificate verification is DISABLED: any server can pose as the backend and receive the gateway's credentials", "url", base.Redacted())
	}
	return Adapter{HTTP: hc, Now: now, Retry: retry, Logger: logger}, nil
}
