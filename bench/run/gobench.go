package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// goBench is one Go benchmark result line.
type goBench struct {
	Pkg, Name         string
	NsPerOp           float64
	BytesPerOp        int64
	AllocsPerOp       int64
	HasMem, HasAllocs bool
	// CPUPerOp is the process CPU µs per op the end-to-end benchmarks
	// report (cpu-µs/op); 0 when the benchmark does not.
	CPUPerOp float64
}

// benchPackages lists the packages ("./api", ...) whose tests declare a
// benchmark, so that go test compiles only those.
func benchPackages() ([]string, error) {
	set := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() && path != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module (deploy/): not this go test's
			}
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("\nfunc Benchmark")) {
			set["./"+filepath.Dir(path)] = true
		}
		return nil
	})
	var pkgs []string
	for p := range set {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs, err
}

func goBenchArgs(benchtime string, pkgs []string) []string {
	return append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime, "-count", "1"}, pkgs...)
}

func goBenchCommand(benchtime string) string {
	pkgs, _ := benchPackages()
	return "go " + strings.Join(goBenchArgs(benchtime, pkgs), " ")
}

func runGoBench(ctx context.Context, benchtime string) ([]goBench, string, error) {
	pkgs, err := benchPackages()
	if err != nil {
		return nil, "", err
	}
	if len(pkgs) == 0 {
		return nil, "", fmt.Errorf("no package declares a benchmark")
	}
	out, err := exec.CommandContext(ctx, "go", goBenchArgs(benchtime, pkgs)...).CombinedOutput()
	if err != nil {
		return nil, string(out), fmt.Errorf("go test -bench: %w\n%s", err, out)
	}
	res := parseGoBench(string(out))
	if len(res) == 0 {
		return nil, string(out), fmt.Errorf("go test -bench printed no result")
	}
	return res, string(out), nil
}

// parseGoBench reads the result lines of go test -bench output, naming each
// with the package of the "pkg:" line before it.
func parseGoBench(out string) []goBench {
	var res []goBench
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := goBench{Pkg: pkg, Name: trimProcs(f[0])}
		ok := false
		for i := 2; i+1 < len(f); i += 2 {
			v, unit := f[i], f[i+1]
			switch unit {
			case "ns/op":
				b.NsPerOp, _ = strconv.ParseFloat(v, 64)
				ok = true
			case "B/op":
				b.BytesPerOp, _ = strconv.ParseInt(v, 10, 64)
				b.HasMem = true
			case "allocs/op":
				b.AllocsPerOp, _ = strconv.ParseInt(v, 10, 64)
				b.HasAllocs = true
			case "cpu-µs/op":
				b.CPUPerOp, _ = strconv.ParseFloat(v, 64)
			}
		}
		if ok {
			res = append(res, b)
		}
	}
	return res
}

// trimProcs drops the "-N" GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// find returns the benchmark with the name, if it ran.
func findBench(res []goBench, name string) (goBench, bool) {
	for _, b := range res {
		if b.Name == name {
			return b, true
		}
	}
	return goBench{}, false
}
