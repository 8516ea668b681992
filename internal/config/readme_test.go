package config_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/internal/config"
)

var update = flag.Bool("update", false, "rewrite README.md's configuration table")

const (
	tableStart = "<!-- config table: generated from internal/config.Vars by `go test ./internal/config -update` -->\n"
	tableEnd   = "<!-- end of config table -->\n"
)

// TestREADMEConfigTable fails when README.md's configuration table is not
// the one Vars describes; -update rewrites it.
func TestREADMEConfigTable(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start, end := strings.Index(readme, tableStart), strings.Index(readme, tableEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the markers %q ... %q", tableStart, tableEnd)
	}
	var b strings.Builder
	b.WriteString(tableStart)
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, v := range config.Vars() {
		def := ""
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		b.WriteString("| `" + v.Name + "` | " + def + " | " + strings.ReplaceAll(v.Description, "|", `\|`) + " |\n")
	}
	want := readme[:start] + b.String() + readme[end:]
	if want == readme {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("README.md's configuration table is stale: run go test ./internal/config -update")
}
