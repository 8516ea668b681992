package syncgate_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestClientIsFresh runs the pinned oapi-codegen of the generate directive
// in generate.go over the committed openapi.yaml and fails when the
// committed client.gen.go differs: a contract change the client does not
// follow fails `make test`, as a stale docs/ does (`make docs` regenerates
// both).
func TestClientIsFresh(t *testing.T) {
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^//go:generate go run (\S+@v\S+) (.*)$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("generate.go has no `//go:generate go run <module>@<version> ...` line")
	}
	// Run where the output lands in a folder of its own: paths of the
	// directive are made absolute, and the config's output is relative.
	args := []string{"run", string(m[1])}
	for _, a := range strings.Fields(string(m[2])) {
		if !strings.HasPrefix(a, "-") {
			if a, err = filepath.Abs(a); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, a)
	}
	dir := t.TempDir()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	generated, err := os.ReadFile(filepath.Join(dir, "client.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, generated) {
		diff := cmp.Diff(strings.Split(string(committed), "\n"), strings.Split(string(generated), "\n"))
		t.Errorf("client.gen.go is stale: openapi.yaml changed; run `make docs` (-committed +generated):\n%.4000s", diff)
	}
}
