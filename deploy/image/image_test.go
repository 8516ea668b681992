// Package image tests the container image: `make image` builds it with
// buildah, and the test reads the OCI archive it saves (configuration, every
// file of every layer) and runs the binary inside the image's root.
package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// maxImageBytes is the most the image's files may take, uncompressed.
const maxImageBytes = 40 << 20

// buildahTools are what `make image` needs beyond Go: buildah, and a static
// busybox for the build stage's shell.
var buildahTools = []string{"buildah", "/bin/busybox"}

// requireTools skips the test when buildah or busybox is missing, except
// under CI=true, where it fails: CI installs them (.ci/run).
func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range buildahTools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("%s is missing (Debian: apt-get install buildah busybox-static): %v", tool, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// buildah is one private buildah storage, so the test neither sees nor
// touches the machine's other images and runs beside other builds.
type buildah struct {
	t     *testing.T
	flags []string
}

func (b buildah) command(args ...string) *exec.Cmd {
	return exec.Command("buildah", append(slices.Clone(b.flags), args...)...)
}

// run runs buildah and returns its standard output, failing the test when it
// fails.
func (b buildah) run(args ...string) string {
	b.t.Helper()
	cmd := b.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.t.Fatalf("buildah %s: %v\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

func TestImage(t *testing.T) {
	requireTools(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("", "syncgate-image-test-")
	if err != nil {
		t.Fatal(err)
	}
	b := buildah{t: t, flags: []string{
		"--root", filepath.Join(work, "storage"), "--runroot", filepath.Join(work, "run"), "--storage-driver", "vfs",
	}}
	t.Cleanup(func() {
		// Layers in buildah's storage can be read-only directories; buildah
		// removes its own, then the rest goes.
		_ = b.command("rm", "--all").Run()
		_ = b.command("rmi", "--all", "--force").Run()
		if err := os.RemoveAll(work); err != nil {
			t.Logf("removing %s: %v", work, err)
		}
	})

	version := fmt.Sprintf("v0.0.0-imagetest.%d", time.Now().Unix())
	imageName := "localhost/syncgate-imagetest:" + version
	archive := filepath.Join(work, "syncgate.oci.tar")
	make := exec.Command("make", "-C", root, "image")
	make.Env = append(os.Environ(),
		"VERSION="+version,
		"IMAGE="+imageName,
		"ARCHIVE="+archive,
		"BUILDAH=buildah "+strings.Join(b.flags, " "),
	)
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}

	img := readOCIArchive(t, archive)
	t.Run("config", func(t *testing.T) { checkConfig(t, img.config, version, gitHead(t, root)) })
	t.Run("files", func(t *testing.T) { checkFiles(t, img) })

	ctr := strings.TrimSpace(b.run("from", "--pull-never", imageName))
	t.Run("version", func(t *testing.T) {
		// buildah run under chroot isolation now and then hands back none of
		// a short-lived command's output, with exit status 0 (seen once in
		// a few runs on a loaded machine): an empty output is asked again,
		// any other wrong output fails at once.
		var out string
		for attempt := 1; attempt <= 3; attempt++ {
			if out = b.run("run", "--isolation", "chroot", ctr, "--", "/syncgate", "version"); out != "" {
				break
			}
			t.Logf("attempt %d: buildah run gave no output", attempt)
		}
		if want := "syncgate " + version + "\n"; out != want {
			t.Errorf("syncgate version printed %q, want %q", out, want)
		}
	})
	t.Run("serve", func(t *testing.T) { checkServe(t, b, ctr) })
}

// image is what the OCI archive holds for the one image in it.
type image struct {
	config ociConfig
	files  map[string]*tar.Header // path without leading slash -> last layer's entry
	passwd string                 // /etc/passwd
}

type ociConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		User         string              `json:"User"`
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Labels       map[string]string   `json:"Labels"`
		Env          []string            `json:"Env"`
	} `json:"config"`
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
}

// readOCIArchive reads the archive's index, its one manifest, the image
// configuration and every layer's file list.
func readOCIArchive(t *testing.T, name string) image {
	t.Helper()
	blobs := map[string][]byte{}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			blobs[path.Clean(h.Name)] = data
		}
	}
	blob := func(d descriptor) []byte {
		alg, hex, _ := strings.Cut(d.Digest, ":")
		data, ok := blobs[path.Join("blobs", alg, hex)]
		if !ok {
			t.Fatalf("archive lacks blob %s (%s)", d.Digest, d.MediaType)
		}
		return data
	}
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	mustJSON(t, blobs["index.json"], &index)
	if len(index.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(index.Manifests))
	}
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	mustJSON(t, blob(index.Manifests[0]), &manifest)
	var img image
	mustJSON(t, blob(manifest.Config), &img.config)
	img.files = map[string]*tar.Header{}
	for _, layer := range manifest.Layers {
		var r io.Reader = bytes.NewReader(blob(layer))
		if strings.HasSuffix(layer.MediaType, "+gzip") || strings.HasSuffix(layer.MediaType, ".gzip") {
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		lr := tar.NewReader(r)
		for {
			h, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", layer.Digest, err)
			}
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			if name == "" {
				continue
			}
			if h.Typeflag == tar.TypeReg && name == "etc/passwd" {
				body, err := io.ReadAll(lr)
				if err != nil {
					t.Fatal(err)
				}
				img.passwd = string(body)
			}
			img.files[name] = h
		}
	}
	return img
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
}

func gitHead(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// checkConfig checks how the image runs: as uid 65532, /syncgate serve,
// port 8080, and what its OCI labels say.
func checkConfig(t *testing.T, c ociConfig, version, revision string) {
	if c.OS != "linux" {
		t.Errorf("os = %q, want linux", c.OS)
	}
	user, _, _ := strings.Cut(c.Config.User, ":")
	if uid, err := strconv.Atoi(user); err != nil || uid != 65532 {
		t.Errorf("User = %q, want the numeric non-root uid 65532 (a name cannot be checked by runAsNonRoot)", c.Config.User)
	}
	if !slices.Equal(c.Config.Entrypoint, []string{"/syncgate"}) || !slices.Equal(c.Config.Cmd, []string{"serve"}) {
		t.Errorf("Entrypoint %q Cmd %q, want [/syncgate] [serve]", c.Config.Entrypoint, c.Config.Cmd)
	}
	if _, ok := c.Config.ExposedPorts["8080/tcp"]; !ok || len(c.Config.ExposedPorts) != 1 {
		t.Errorf("ExposedPorts = %v, want 8080/tcp", c.Config.ExposedPorts)
	}
	for label, want := range map[string]string{
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.source":   "https://github.com/syncgate/syncgate",
		"org.opencontainers.image.title":    "syncgate",
	} {
		if got := c.Config.Labels[label]; got != want {
			t.Errorf("label %s = %q, want %q", label, got, want)
		}
	}
}

// checkFiles checks that the image holds the binary, CA certificates, the
// user and group files and a writable /tmp, and nothing else: no shell, no
// package manager, nothing to run but the gateway.
func checkFiles(t *testing.T, img image) {
	files := img.files
	var regular []string
	var total int64
	for name, h := range files {
		switch h.Typeflag {
		case tar.TypeReg:
			regular = append(regular, name)
			total += h.Size
		case tar.TypeDir:
		default:
			t.Errorf("%s is not a regular file or directory (type %q): the image holds no links, so no /bin/sh", name, h.Typeflag)
		}
	}
	slices.Sort(regular)
	want := []string{"etc/group", "etc/passwd", "etc/ssl/certs/ca-certificates.crt", "syncgate"}
	if !slices.Equal(regular, want) {
		t.Errorf("files = %v, want exactly %v", regular, want)
	}
	if total > maxImageBytes {
		t.Errorf("files take %d bytes (%.1f MiB), want at most %d MiB", total, float64(total)/(1<<20), maxImageBytes>>20)
	}
	t.Logf("image files: %.1f MiB uncompressed", float64(total)/(1<<20))
	if h := files["syncgate"]; h != nil && h.Mode&0o111 == 0 {
		t.Errorf("/syncgate mode %o is not executable", h.Mode)
	}
	if h := files["tmp"]; h == nil || h.Typeflag != tar.TypeDir || h.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp = %+v, want a directory with mode 1777", h)
	}
	if h := files["etc/ssl/certs/ca-certificates.crt"]; h != nil && h.Size < 10_000 {
		t.Errorf("CA bundle is %d bytes: too small to hold the public roots", h.Size)
	}
	if !strings.Contains(img.passwd, "\nnonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user with uid 65532:\n%s", img.passwd)
	}
}

// checkServe runs `syncgate serve` in the image's root with a minimal
// configuration and asks it /healthz and /readyz over the host's network.
// The port is chosen below the kernel's ephemeral range, so servers that
// other tests start on port 0 cannot take it; should something take it all
// the same, the gateway says so and another port is tried.
func checkServe(t *testing.T, b buildah, ctr string) {
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		if !serveOn(t, b, ctr, port) {
			return
		}
		if attempt == 3 {
			t.Fatal("three ports were taken before the gateway could listen on them")
		}
		t.Logf("port %s was taken before the gateway listened on it; trying another", port)
	}
}

// serveOn runs the gateway on port and checks it; it reports whether the
// port was already in use, the gateway having exited on that alone.
func serveOn(t *testing.T, b buildah, ctr, port string) (portTaken bool) {
	args := []string{"run", "--isolation", "chroot"}
	for _, env := range []string{
		"SYNCGATE_LISTEN_ADDR=127.0.0.1:" + port,
		"SYNCGATE_JWT_ISSUERS=https://issuer.example.com/",
		"SYNCGATE_JWT_AUDIENCES=api://syncgate",
		"SYNCGATE_JWT_HMAC_SECRET=image-test-hmac-secret-of-32-bytes!",
		"SYNCGATE_SHUTDOWN_GRACE=2s",
	} {
		args = append(args, "--env", env)
	}
	logs := &syncBuffer{}
	cmd := b.command(append(args, ctr, "--", "/syncgate", "serve")...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	defer stop()

	// Wait for the gateway's own word that it listens, so what answers next
	// is this gateway.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !strings.Contains(logs.String(), `"msg":"listening"`) {
		select {
		case err := <-exited:
			stopped = true
			if strings.Contains(logs.String(), "address already in use") {
				return true
			}
			t.Fatalf("syncgate serve exited before listening: %v\n%s", err, logs.String())
		case <-ctx.Done():
			t.Fatalf("syncgate serve did not listen within 30 s\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}

	base := "http://127.0.0.1:" + port
	client := &http.Client{Timeout: 5 * time.Second}
	status := func(path string) int {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, logs.String())
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz answered %d, want 200\n%s", got, logs.String())
	}
	// Ready once its signing key is loaded, at start.
	for got := status("/readyz"); got != http.StatusOK; got = status("/readyz") {
		select {
		case <-ctx.Done():
			t.Fatalf("/readyz still answers %d after 30 s, want 200\n%s", got, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if uid := serveUID(t, cmd.Process.Pid); uid != "65532" {
		t.Errorf("syncgate serve runs as uid %s, want 65532 (the image's USER)", uid)
	}
	stop()
	if !strings.Contains(logs.String(), "starting syncgate") {
		t.Errorf("the gateway's log lacks its start line:\n%s", logs.String())
	}
	return false
}

// syncBuffer is a bytes.Buffer that the command's output copier writes
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUID finds the /syncgate serve process started under the buildah
// process pid and returns its real uid.
func serveUID(t *testing.T, buildahPID int) string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || string(cmdline) != "/syncgate\x00serve\x00" || !descendsFrom(pid, buildahPID) {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(status))
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
				return strings.Fields(rest)[0]
			}
		}
	}
	t.Fatalf("no /syncgate serve process under buildah (pid %d)", buildahPID)
	return ""
}

// descendsFrom reports whether pid is a descendant of ancestor.
func descendsFrom(pid, ancestor int) bool {
	for range 64 {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		// The fields after the parenthesised command name: state, ppid, ...
		i := bytes.LastIndexByte(stat, ')')
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			return false
		}
		ppid, _ := strconv.Atoi(fields[1])
		if ppid == ancestor {
			return true
		}
		if ppid <= 1 {
			return false
		}
		pid = ppid
	}
	return false
}

// freePort returns a loopback TCP port below the kernel's ephemeral range
// (32768 and up on Linux) that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	for range 100 {
		port := strconv.Itoa(20000 + rand.IntN(12000))
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port between 20000 and 32000")
	return ""
}
