// Package release tests `make release`: the archives it writes, the
// binaries in them (static, stripped, the right architecture, the version
// stamped), the packaged chart and the checksums.
package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const version = "v0.0.0-releasetest.1"

func TestRelease(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("make", "-C", root, "release", "VERSION="+version, "RELEASE_DIR="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, b)
	}
	dir := filepath.Join(out, version)
	semver := strings.TrimPrefix(version, "v")

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{
		"SHA256SUMS",
		"syncgate-" + semver + ".tgz",
		"syncgate_" + semver + "_linux_amd64.tar.gz",
		"syncgate_" + semver + "_linux_arm64.tar.gz",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("release files = %v, want %v", names, want)
	}

	// SHA256SUMS, in sha256sum's format, covers every other file.
	sums := map[string]string{}
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not sha256sum's format", sc.Text())
		}
		sums[name] = sum
	}
	for _, name := range want[1:] {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(data)
		if sums[name] != hex.EncodeToString(got[:]) {
			t.Errorf("SHA256SUMS says %s is %q, it is %x", name, sums[name], got)
		}
	}
	if len(sums) != len(want)-1 {
		t.Errorf("SHA256SUMS lists %d files, want %d", len(sums), len(want)-1)
	}

	commitTime := commitTime(t, root)
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		t.Run(arch, func(t *testing.T) {
			name := "syncgate_" + semver + "_linux_" + arch
			files := readTarGz(t, filepath.Join(dir, name+".tar.gz"), commitTime)
			var got []string
			for n := range files {
				got = append(got, n)
			}
			slices.Sort(got)
			wantFiles := []string{name + "/", name + "/CHANGELOG.md", name + "/LICENSE", name + "/README.md", name + "/syncgate"}
			if !slices.Equal(got, wantFiles) {
				t.Fatalf("archive holds %v, want %v", got, wantFiles)
			}
			if !bytes.Contains(files[name+"/LICENSE"], []byte("Apache License\n                           Version 2.0")) {
				t.Error("LICENSE is not the Apache License 2.0")
			}
			bin := files[name+"/syncgate"]
			checkBinary(t, bin, machine)
			if arch == runtime.GOARCH {
				path := filepath.Join(t.TempDir(), "syncgate")
				if err := os.WriteFile(path, bin, 0o755); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(path, "version").Output()
				if err != nil || string(out) != "syncgate "+version+"\n" {
					t.Errorf("syncgate version printed %q (%v), want %q", out, err, "syncgate "+version+"\n")
				}
			}
		})
	}

	// The chart, packaged at the release's version, deploys the release's image.
	chart := readTarGz(t, filepath.Join(dir, "syncgate-"+semver+".tgz"), time.Time{})
	var meta struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(chart["syncgate/Chart.yaml"], &meta); err != nil {
		t.Fatalf("packaged Chart.yaml: %v", err)
	}
	if meta.Version != semver || meta.AppVersion != version {
		t.Errorf("packaged chart version %q appVersion %q, want %q and %q", meta.Version, meta.AppVersion, semver, version)
	}
	for _, f := range []string{"syncgate/values.yaml", "syncgate/values.schema.json", "syncgate/templates/deployment.yaml"} {
		if _, ok := chart[f]; !ok {
			t.Errorf("packaged chart lacks %s", f)
		}
	}
}

// A release is a semantic version of a commit: anything else is refused.
func TestReleaseRefuses(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for bad, reason := range map[string]string{
		"e41da16":           "not a semantic version tag",
		"v1.2":              "not a semantic version tag",
		"v0.1.0-3-g1-dirty": "uncommitted changes",
	} {
		out, err := exec.Command("make", "-C", root, "release", "VERSION="+bad, "RELEASE_DIR="+t.TempDir()).CombinedOutput()
		if err == nil {
			t.Errorf("make release VERSION=%s succeeded", bad)
		} else if !strings.Contains(string(out), reason) {
			t.Errorf("make release VERSION=%s did not say %q:\n%s", bad, reason, out)
		}
	}
}

// checkBinary checks an ELF executable: the architecture, static (no
// interpreter, no shared libraries), stripped of symbols and debug
// information, and the version stamped in.
func checkBinary(t *testing.T, bin []byte, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("not an ELF file: %v", err)
	}
	if f.Machine != machine || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("machine %v OS ABI %v, want %v for Linux", f.Machine, f.OSABI, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary names a dynamic loader: it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	for _, s := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if f.Section(s) != nil {
			t.Errorf("the binary has a %s section: not built with -s -w", s)
		}
	}
	if !bytes.Contains(bin, []byte(version)) {
		t.Errorf("the binary does not hold its version %s", version)
	}
}

// readTarGz returns a .tar.gz's entries by name (directories with a trailing
// slash, holding nothing). When modTime is set, every entry must carry it
// and no owner.
func readTarGz(t *testing.T, name string, modTime time.Time) map[string][]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !modTime.IsZero() && (!h.ModTime.Equal(modTime) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "") {
			t.Errorf("%s in %s: time %s owner %d/%d %q/%q, want the commit's time %s and no owner", h.Name, filepath.Base(name), h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname, modTime)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = data
	}
}

func commitTime(t *testing.T, dir string) time.Time {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "log", "-1", "--format=%ct").Output()
	if err != nil {
		t.Fatal(err)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(sec, 0)
}
