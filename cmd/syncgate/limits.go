package main

import (
	"fmt"
	"net"
	"net/http"
	"sync"

	"golang.org/x/net/netutil"
)

const (
	// fileHeadroom is how many open files the connection limit leaves the
	// process for its own use: backend and JWKS connections, logs, key files.
	fileHeadroom = 256
	// maxDefaultConnections caps the connection limit derived from the
	// open-file limit when SYNCGATE_MAX_CONNECTIONS is unset.
	maxDefaultConnections = 10000
)

// connectionLimit is the most inbound connections served at once:
// configured, or derived from the open-file limit (which Go raises to the
// hard limit at start). A configured limit that leaves fewer than
// fileHeadroom open files is refused: at "too many open files" the gateway
// can no longer reach its backends nor accept /healthz.
func connectionLimit(configured int) (int, error) {
	files, known := openFileLimit()
	if configured == 0 {
		if !known {
			return maxDefaultConnections, nil
		}
		return max(min(files-fileHeadroom, maxDefaultConnections), 1), nil
	}
	if known && configured > files-fileHeadroom {
		return 0, fmt.Errorf("SYNCGATE_MAX_CONNECTIONS=%d leaves fewer than %d of the process's %d open files for its backends, JWKS and logs: lower it or raise the open-file limit (ulimit -n)",
			configured, fileHeadroom, files)
	}
	return configured, nil
}

// limitListener accepts at most limit connections at once; more wait in
// the listen queue (costing no file) until one closes.
func limitListener(ln net.Listener, limit int) net.Listener {
	return netutil.LimitListener(ln, limit)
}

// pressure closes idle keep-alive connections while three quarters of the
// connection limit are in use, and keeps keep-alives off until use falls
// under half, so that idle callers do not hold the slots others wait for.
type pressure struct {
	srv          *http.Server
	high, low    int
	mu           sync.Mutex
	open         int
	keepAliveOff bool
}

func newPressure(srv *http.Server, limit int) *pressure {
	return &pressure{srv: srv, high: max(limit*3/4, 1), low: limit / 2}
}

// connState is the server's ConnState hook.
func (p *pressure) connState(c net.Conn, state http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch state {
	case http.StateNew:
		p.open++
	case http.StateClosed, http.StateHijacked:
		p.open--
	case http.StateIdle:
		// One that turns idle while keep-alives are off (it was answered
		// as the pressure began) is closed too.
		if p.keepAliveOff {
			c.Close()
		}
		return
	default:
		return
	}
	switch {
	case !p.keepAliveOff && p.open >= p.high:
		p.keepAliveOff = true
		// Closes the idle connections now, and each busy one after its
		// answer.
		p.srv.SetKeepAlivesEnabled(false)
	case p.keepAliveOff && p.open < p.low:
		p.keepAliveOff = false
		p.srv.SetKeepAlivesEnabled(true)
	}
}
