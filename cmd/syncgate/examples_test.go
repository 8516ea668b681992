//go:build examples

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// The examples run with `make examples-test` (this file's build tag): the
// TypeScript portal script with Node, the Ansible playbook with
// ansible-playbook, and the Go example built with `go run`, each against a
// demo as its users would run it, each outcome asserted. A missing tool
// fails the test: .ci/run installs Debian's nodejs, npm and ansible-core.

// portalOrigin is the origin the demo allows for the TypeScript example.
const portalOrigin = "http://localhost:3000"

// repoRoot is the repository root, seen from this package.
var repoRoot = filepath.Join("..", "..")

// command runs name args in dir with env added, returning its combined
// output and error, bounded by timeout.
func command(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (.ci/run installs it): %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	begin := time.Now()
	err = cmd.Run()
	t.Logf("%s %s (%s, %s):\n%s", name, strings.Join(args, " "), dir, time.Since(begin).Round(100*time.Millisecond), out.String())
	return out.String(), err
}

func TestExamples(t *testing.T) {
	base, token := bannerDemo(t, "8s", "-cors-origins", portalOrigin)

	t.Run("typescript", func(t *testing.T) {
		dir := filepath.Join(repoRoot, "examples", "typescript")
		if _, err := command(t, 5*time.Minute, dir, nil, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
			t.Fatalf("npm ci: %v", err)
		}
		out, err := command(t, 5*time.Minute, dir, []string{
			"SYNCGATE_URL=" + base, "SYNCGATE_TOKEN=" + token, "SYNCGATE_PORTAL_ORIGIN=" + portalOrigin,
			"SYNCGATE_PAUSED_JOB=" + graphsim.AWSObjectID + "/" + graphsim.AWSJobID,
			"SYNCGATE_NOTCONFIGURED_JOB=" + graphsim.DropboxObjectID + "/" + graphsim.DropboxJobID,
			"SYNCGATE_NOTRUN_JOB=" + graphsim.SalesforceObjectID + "/" + graphsim.SalesforceJobID,
			"SYNCGATE_FAILING_ORG=" + veeamsim.TailspinID,
		}, "npm", "test")
		if err != nil {
			t.Fatalf("npm test: %v", err)
		}
		// npm test generates the types from openapi.yaml, type-checks the
		// script against them and runs the four cases.
		if !strings.Contains(out, "openapi.yaml → src/schema.d.ts") {
			t.Errorf("the types were not generated from openapi.yaml")
		}
		if !regexp.MustCompile(`(?m)^ℹ pass 4$`).MatchString(out) || !regexp.MustCompile(`(?m)^ℹ fail 0$`).MatchString(out) {
			t.Errorf("want 4 cases passed, none failed")
		}
	})

	t.Run("go", func(t *testing.T) {
		run := func() (string, error) {
			return command(t, 5*time.Minute, repoRoot, []string{"SYNCGATE_TOKEN=" + token},
				"go", "run", "./examples/go/startsync", "-url", base, "-org", veeamsim.FabrikamID, "-key", "examples-go-1", "-timeout", "1m")
		}
		out, err := run()
		if err != nil {
			t.Fatalf("startsync: %v", err)
		}
		if !strings.Contains(out, "202 Accepted: Incremental sync of "+veeamsim.FabrikamID) || !strings.Contains(out, "sync: Success") {
			t.Errorf("want 202 then Success")
		}
		// The rerun with the same key starts nothing and still reports Success.
		out, err = run()
		if err != nil {
			t.Fatalf("startsync again: %v", err)
		}
		if !strings.Contains(out, "Idempotent-Replayed: true") || !strings.Contains(out, "sync: Success") {
			t.Errorf("want the rerun replayed, then Success")
		}
	})

	t.Run("ansible", func(t *testing.T) {
		playbook := func(org string, extra ...string) (string, error) {
			return command(t, 5*time.Minute, repoRoot, []string{"ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0"},
				"ansible-playbook", append([]string{"-i", "localhost,", "examples/ansible/sync-organization.yml",
					"-e", "syncgate_url=" + base, "-e", "syncgate_token=" + token, "-e", "organization_id=" + org}, extra...)...)
		}
		recap := func(t *testing.T, out string) string {
			t.Helper()
			m := regexp.MustCompile(`(?m)^localhost\s*:\s*(.*)$`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no play recap in the output")
			}
			return strings.Join(strings.Fields(m[1]), " ")
		}

		out, err := playbook(veeamsim.ContosoID)
		if err != nil {
			t.Fatalf("first run: %v", err)
		}
		if got := recap(t, out); !strings.HasPrefix(got, "ok=") || !strings.Contains(got, " changed=1 ") || !strings.Contains(got, " failed=0 ") {
			t.Errorf("first run's recap %q; want changed=1, failed=0", got)
		}
		// The sync lasts 8 s: the play waited for it, read by read.
		if !strings.Contains(out, `"msg": "sync: Success"`) {
			t.Errorf("the first run did not wait for the sync to succeed")
		}
		// Rerun: the same Idempotency-Key (one per organization, kind and
		// day) is answered with the first answer; nothing changes.
		out, err = playbook(veeamsim.ContosoID)
		if err != nil {
			t.Fatalf("rerun: %v", err)
		}
		if got := recap(t, out); !strings.Contains(got, " changed=0 ") || !strings.Contains(got, " failed=0 ") {
			t.Errorf("rerun's recap %q; want changed=0, failed=0", got)
		}
		// Another key (another run the same minute): the start's cooldown
		// answers 429 cooldown, which the play reads by its type as "a sync
		// was just started", not as a failure: nothing changes.
		out, err = playbook(veeamsim.ContosoID, "-e", "idempotency_key=another-run")
		if err != nil {
			t.Fatalf("run with another key: %v", err)
		}
		if got := recap(t, out); !strings.Contains(got, " changed=0 ") || !strings.Contains(got, " failed=0 ") {
			t.Errorf("recap with another key %q; want changed=0, failed=0", got)
		}
		if !strings.Contains(out, "429 urn:syncgate:problem:cooldown") {
			t.Errorf("the run with another key does not show the 429 cooldown")
		}

		// An organization Veeam cannot synchronize fails the play with the
		// problem's type and detail.
		out, err = playbook(veeamsim.NorthwindID)
		if err == nil {
			t.Fatalf("the play on Northwind succeeded; want it failed")
		}
		if got := recap(t, out); !strings.Contains(got, " failed=1 ") {
			t.Errorf("recap %q; want failed=1", got)
		}
		if !strings.Contains(out, "422 urn:syncgate:problem:not-eligible: organization "+veeamsim.NorthwindID+": it does not use modern app-only authentication") {
			t.Errorf("the failure does not show the problem's type and detail")
		}
	})
}
