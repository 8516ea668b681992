package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// TestAuditFileSurvivesKill: `syncgate serve` answers a start 202 and is
// killed (SIGKILL) at once; the start's audit record is in
// SYNCGATE_AUDIT_FILE, since it was synced before the answer was sent.
func TestAuditFileSurvivesKill(t *testing.T) {
	vs := veeamsim.New(veeamsim.Options{Username: "svc", Password: "pa55word-of-the-gateway"})
	minter, env := behindVeeam(t, vs)
	auditFile := filepath.Join(t.TempDir(), "audit.jsonl")
	addr := freePort(t)
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), runMainEnv+"=1",
		"SYNCGATE_LISTEN_ADDR="+addr,
		"SYNCGATE_VEEAM_PASSWORD=pa55word-of-the-gateway",
		"SYNCGATE_AUDIT_FILE="+auditFile,
	)
	cmd.Env = append(cmd.Env, environ(env)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	base := "http://" + addr
	waitFor(t, "the gateway process", 30*time.Second, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	token, err := minter.Mint(auth.MintClaims{Subject: "operator", Scopes: []string{"Organizations.Sync"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/organizations/"+veeamsim.ContosoID+"/sync", strings.NewReader(`{"full":true}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "kill-after-202")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start answered %d; want 202\n%s", resp.StatusCode, out.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true

	data, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	found := false
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit file line does not parse: %v: %s", err, sc.Bytes())
		}
		if rec["requestId"] == "kill-after-202" {
			found = true
			if rec["decision"] != "started" || rec["sub"] != "operator" || rec["target"] != veeamsim.ContosoID || rec["upstreamStatus"] != float64(204) {
				t.Errorf("audit record %v; want the started sync of %s by operator, Veeam's 204", rec, veeamsim.ContosoID)
			}
		}
	}
	if !found {
		t.Fatalf("the answered start's audit record is not in the file after the kill:\n%s", data)
	}
}
