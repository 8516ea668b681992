// Package redistest runs a real redis-server for tests: on a free loopback
// port, without persistence, stopped when the test ends. Without
// redis-server on PATH the test is skipped, except under CI=true where it
// fails: CI installs redis-server (.ci/run), so a missing one is a broken CI,
// not a reason to pass.
package redistest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	t    testing.TB
	bin  string
	port int
	tls  *TLSFiles
	// password is what clients must AUTH with ("": none).
	password string
	cmd      *exec.Cmd
	done     chan struct{}
}

// TLSFiles are the PEM files of a TLS redis-server: its certificate and key,
// and the CA that signed them (what a client must trust).
type TLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// Start starts redis-server on a free loopback port; it stops when the test
// ends.
func Start(t testing.TB) *Server { return start(t, nil, "") }

// StartWithPassword starts redis-server requiring password (requirepass):
// its URL carries the password, as an operator's SYNCGATE_REDIS_URL would,
// so a test can search the gateway's output for it.
func StartWithPassword(t testing.TB, password string) *Server { return start(t, nil, password) }

// StartTLS starts redis-server speaking only TLS on a free loopback port,
// with files's certificate; it stops when the test ends.
func StartTLS(t testing.TB, files TLSFiles) *Server { return start(t, &files, "") }

func start(t testing.TB, files *TLSFiles, password string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed; CI must install it (.ci/run installs Debian's redis-server)")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); CI=true makes this a failure")
	}
	s := &Server{t: t, bin: bin, port: freePort(t), tls: files, password: password}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// (or, with TLS, rediss://) URL by the name
// localhost. Its timeouts are generous, so a loaded test machine is not a
// Redis outage; a stopped server still fails at once (connection refused).
func (s *Server) URL() string {
	const slack = "?dial_timeout=10s&read_timeout=10s&write_timeout=10s&pool_timeout=10s"
	var auth string
	if s.password != "" {
		auth = url.UserPassword("", s.password).String() + "@"
	}
	if s.tls != nil {
		return fmt.Sprintf("rediss://%slocalhost:%d/0%s", auth, s.port, slack)
	}
	return fmt.Sprintf("redis://%s127.0.0.1:%d/0%s", auth, s.port, slack)
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Start (re)starts the server on its port, empty, and waits until it
// accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("redistest: already running")
	}
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
		"--dir", s.t.TempDir()}
	if s.tls != nil {
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(s.port), "--tls-auth-clients", "no",
			"--tls-cert-file", s.tls.CertFile, "--tls-key-file", s.tls.KeyFile, "--tls-ca-cert-file", s.tls.CAFile)
	}
	if s.password != "" {
		args = append(args, "--requirepass", s.password)
	}
	cmd := exec.Command(s.bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	logs := make(chan string, 64)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case logs <- sc.Text():
			default:
			}
		}
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s.answers() {
			return
		}
		select {
		case <-s.done:
			s.cmd = nil
			s.t.Fatalf("redistest: redis-server exited: %s", drain(logs))
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redistest: redis-server did not answer on %s within 10 s: %s", s.Addr(), drain(logs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// answers reports whether the server answers: PING in plain text (AUTH
// with a password), or a TLS handshake.
func (s *Server) answers() bool {
	if s.tls == nil && s.password != "" {
		line, err := Command(s.Addr(), "AUTH", s.password)
		return err == nil && line == "+OK"
	}
	if s.tls == nil {
		return ping(s.Addr())
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", s.Addr(), &tls.Config{InsecureSkipVerify: true}) // readiness only
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ping reports whether a Redis server answers PING at addr.
func ping(addr string) bool {
	line, err := Command(addr, "PING")
	return err == nil && line == "+PONG"
}

// Command sends one inline command (arguments without spaces) to the Redis
// server at addr and returns the first line of its reply ("+OK", ":1").
func Command(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(strings.Join(args, " ") + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

func drain(c chan string) string {
	var lines []string
	for {
		select {
		case l := <-c:
			lines = append(lines, l)
		default:
			return strings.Join(lines, "\n")
		}
	}
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
