package veeamsim_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

func TestSyncRequest(t *testing.T) {
	const unknown = "00000000-0000-4000-8000-000000000001"
	tests := []struct {
		name        string
		org         string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantMsg     string                // substring of the error message
		wantReq     *veeamsim.SyncRequest // Type and Parts of an accepted start
	}{
		{name: "empty object", org: veeamsim.ContosoID, body: `{}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Incremental}},
		{name: "full with parts", org: veeamsim.ContosoID, body: `{"type":"Full","parts":["Users","Sites"]}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Full, Parts: []string{"Users", "Sites"}}},
		{name: "nulls", org: veeamsim.ContosoID, body: `{"type":null,"parts":null}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Incremental}},
		{name: "any case, Mailboxes", org: veeamsim.ContosoID, body: `{"type":"full","parts":["groupmembers","Mailboxes"]}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Full, Parts: []string{"GroupMembers", "Mailboxes"}}},
		{name: "empty parts", org: veeamsim.ContosoID, body: `{"parts":[]}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Incremental, Parts: []string{}}},
		{name: "charset", org: veeamsim.FabrikamID, contentType: "application/json; charset=utf-8", body: `{"type":"Incremental"}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Incremental}},
		{name: "hybrid app-only", org: veeamsim.TailspinID, body: `{}`, wantStatus: 204,
			wantReq: &veeamsim.SyncRequest{Type: veeamsim.Incremental}},
		{name: "no content type", org: veeamsim.ContosoID, contentType: "-", body: `{}`, wantStatus: 415,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "application/json"},
		{name: "form content type", org: veeamsim.ContosoID, contentType: form, body: `type=Full`, wantStatus: 415,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "application/json"},
		{name: "empty body", org: veeamsim.ContosoID, body: ``, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "required"},
		{name: "null body", org: veeamsim.ContosoID, body: `null`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "required"},
		{name: "array body", org: veeamsim.ContosoID, body: `[]`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "JSON object"},
		{name: "malformed", org: veeamsim.ContosoID, body: `{"type":`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "JSON object"},
		{name: "unknown type", org: veeamsim.ContosoID, body: `{"type":"Weekly"}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "type"},
		{name: "numeric type", org: veeamsim.ContosoID, body: `{"type":1}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "type"},
		{name: "unknown part", org: veeamsim.ContosoID, body: `{"parts":["Users","Mail"]}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "'Mail'"},
		{name: "parts not an array", org: veeamsim.ContosoID, body: `{"parts":"Users"}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "parts"},
		{name: "basic auth org", org: veeamsim.NorthwindID, body: `{}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "modern app-only authentication"},
		{name: "on-premises org", org: veeamsim.LitwareID, body: `{}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "modern app-only authentication"},
		{name: "unknown org", org: unknown, body: `{}`, wantStatus: 404,
			wantCode: veeamsim.CodeResourceNotFound, wantMsg: unknown},
		{name: "org not a GUID", org: "contoso", body: `{}`, wantStatus: 400,
			wantCode: veeamsim.CodeParameterValidationFailure, wantMsg: "GUID"},
		{name: "already running", org: veeamsim.WoodgroveID, body: `{}`, wantStatus: 409,
			wantCode: veeamsim.CodeOperationConflict, wantMsg: "already in progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, veeamsim.Options{})
			ct := tt.contentType
			switch ct {
			case "":
				ct = "application/json"
			case "-":
				ct = ""
			}
			r := e.do("POST", "/v8/Organizations/"+tt.org+"/Sync", ct, tt.body, e.login().AccessToken)
			wantStarts := 0
			if tt.wantStatus == http.StatusNoContent {
				wantStarts = 1
				if r.status != http.StatusNoContent || len(r.body) != 0 {
					t.Fatalf("status %d body %q, want 204 and no body", r.status, r.body)
				}
				got, ok := e.srv.LastSyncRequest(tt.org)
				if !ok {
					t.Fatal("no LastSyncRequest")
				}
				if string(got.Body) != tt.body {
					t.Errorf("Body = %q, want %q", got.Body, tt.body)
				}
				got.Body = nil
				if diff := cmp.Diff(*tt.wantReq, got); diff != "" {
					t.Errorf("request (-want +got):\n%s", diff)
				}
			} else {
				got := wantError(t, r, tt.wantStatus, tt.wantCode)
				if !strings.Contains(got.Message, tt.wantMsg) {
					t.Errorf("message %q does not contain %q", got.Message, tt.wantMsg)
				}
				if _, ok := e.srv.LastSyncRequest(tt.org); ok {
					t.Errorf("LastSyncRequest recorded for a refused start")
				}
			}
			if got := e.srv.SyncStarts(tt.org); got != wantStarts {
				t.Errorf("SyncStarts = %d, want %d", got, wantStarts)
			}
			if got := e.srv.SyncCalls(tt.org); got != 1 {
				t.Errorf("SyncCalls = %d, want 1", got)
			}
		})
	}
}

func TestSyncProgression(t *testing.T) {
	tests := []struct {
		name              string
		opts              veeamsim.Options
		queue, run        time.Duration
		org, body         string
		wantType, wantRes string
		wantErr           string
		wantParts         []string // parts with a state once the sync ended, in SyncState order
	}{
		{"defaults, two parts", veeamsim.Options{}, 2 * time.Second, 6 * time.Second,
			veeamsim.ContosoID, `{"type":"Full","parts":["Users","Groups"]}`, "Full", "Success", "", []string{"users", "groups"}},
		{"custom timings, every part", veeamsim.Options{QueueDelay: 10 * time.Second, RunDuration: time.Minute}, 10 * time.Second, time.Minute,
			veeamsim.ContosoID, `{}`, "Incremental", "Success", "", []string{"users", "groups", "groupMembers", "sites"}},
		{"failing organization", veeamsim.Options{}, 2 * time.Second, 6 * time.Second,
			veeamsim.TailspinID, `{"parts":["Sites"]}`, "Incremental", "Error", veeamsim.TailspinSyncError, []string{"users", "groups", "groupMembers", "sites"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, tt.opts)
			before := e.state(tt.org)
			if r := e.startSync(tt.org, tt.body); r.status != http.StatusNoContent {
				t.Fatalf("start: %d %s", r.status, r.body)
			}

			// Queued until QueueDelay has passed.
			st := e.state(tt.org)
			cur := st.CurrentSyncState
			if cur == nil || cur.Status != "Queued" || cur.Type != tt.wantType || cur.StartTime != nil ||
				!parseTime(t, cur.ScheduledTime).Equal(t0()) {
				t.Fatalf("after start: current %+v", cur)
			}
			if diff := cmp.Diff(before.LastSyncState, st.LastSyncState); diff != "" {
				t.Errorf("lastSyncState changed by the start:\n%s", diff)
			}
			e.clock.Advance(tt.queue - time.Millisecond)
			if cur := e.state(tt.org).CurrentSyncState; cur == nil || cur.Status != "Queued" {
				t.Fatalf("just before QueueDelay: current %+v", cur)
			}

			// Running from QueueDelay until RunDuration has passed.
			e.clock.Advance(time.Millisecond)
			cur = e.state(tt.org).CurrentSyncState
			if cur == nil || cur.Status != "Running" || !parseTime(t, cur.StartTime).Equal(t0().Add(tt.queue)) ||
				!parseTime(t, cur.ScheduledTime).Equal(t0()) {
				t.Fatalf("at QueueDelay: current %+v", cur)
			}
			e.clock.Advance(tt.run - time.Millisecond)
			if cur := e.state(tt.org).CurrentSyncState; cur == nil || cur.Status != "Running" {
				t.Fatalf("just before the end: current %+v", cur)
			}

			// Then the last sync, and no current one.
			e.clock.Advance(time.Millisecond)
			st = e.state(tt.org)
			last := st.LastSyncState
			if st.CurrentSyncState != nil || last == nil {
				t.Fatalf("after the end: current %+v, last %+v", st.CurrentSyncState, last)
			}
			end := t0().Add(tt.queue + tt.run)
			if last.Type != tt.wantType || last.Result != tt.wantRes ||
				!parseTime(t, &last.StartTime).Equal(t0().Add(tt.queue)) || !parseTime(t, &last.EndTime).Equal(end) {
				t.Errorf("lastSyncState %+v", last)
			}
			gotErr := ""
			if last.Error != nil {
				gotErr = *last.Error
			}
			if gotErr != tt.wantErr {
				t.Errorf("error = %q, want %q", gotErr, tt.wantErr)
			}
			var withState []string
			for _, key := range []string{"users", "groups", "groupMembers", "sites"} {
				if p := st.Parts[key]; p != nil {
					withState = append(withState, key)
					if p.CurrentSyncState != nil {
						t.Errorf("part %s still has a current sync", key)
					}
				}
			}
			if diff := cmp.Diff(tt.wantParts, withState); diff != "" {
				t.Errorf("parts with a state (-want +got):\n%s", diff)
			}
			if tt.wantRes == "Success" {
				if p := st.Parts[tt.wantParts[0]]; !parseTime(t, p.LastSuccessfulSyncTime).Equal(end) {
					t.Errorf("lastSuccessfulSyncTime = %v, want %v", *p.LastSuccessfulSyncTime, end)
				}
			}
			if r := e.startSync(tt.org, `{}`); r.status != http.StatusNoContent {
				t.Errorf("start after the end: %d %s", r.status, r.body)
			}
		})
	}
}

func TestSyncPartsState(t *testing.T) {
	e := start(t, veeamsim.Options{})
	if r := e.startSync(veeamsim.ContosoID, `{"parts":["Users"]}`); r.status != http.StatusNoContent {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	e.clock.Advance(3 * time.Second)
	st := e.state(veeamsim.ContosoID)
	if p := st.Parts["users"]; p == nil || p.CurrentSyncState == nil || p.CurrentSyncState.Status != "Running" ||
		p.LastSuccessfulSyncTime != nil || string(p.LastSyncState) != "null" {
		t.Errorf("users while running: %+v", p)
	}
	if p := st.Parts["sites"]; p != nil {
		t.Errorf("sites, not synced: %+v, want null", p)
	}
}

func TestSyncConflict(t *testing.T) {
	t.Run("409 while queued or running", func(t *testing.T) {
		e := start(t, veeamsim.Options{})
		if r := e.startSync(veeamsim.ContosoID, `{}`); r.status != http.StatusNoContent {
			t.Fatalf("first start: %d", r.status)
		}
		wantError(t, e.startSync(veeamsim.ContosoID, `{"type":"Full"}`), http.StatusConflict, veeamsim.CodeOperationConflict)
		e.clock.Advance(3 * time.Second) // Running
		got := wantError(t, e.startSync(veeamsim.ContosoID, `{}`), http.StatusConflict, veeamsim.CodeOperationConflict)
		if got.Message != veeamsim.MsgSyncInProgress {
			t.Errorf("message = %q", got.Message)
		}
		e.clock.Advance(5 * time.Second) // ended
		if r := e.startSync(veeamsim.ContosoID, `{}`); r.status != http.StatusNoContent {
			t.Fatalf("start after the end: %d %s", r.status, r.body)
		}
		if s, c := e.srv.SyncStarts(veeamsim.ContosoID), e.srv.SyncCalls(veeamsim.ContosoID); s != 2 || c != 4 {
			t.Errorf("SyncStarts %d SyncCalls %d, want 2 and 4", s, c)
		}
	})
	t.Run("stuck organization stays running", func(t *testing.T) {
		e := start(t, veeamsim.Options{})
		e.clock.Advance(30 * 24 * time.Hour)
		wantError(t, e.startSync(veeamsim.WoodgroveID, `{}`), http.StatusConflict, veeamsim.CodeOperationConflict)
		if cur := e.state(veeamsim.WoodgroveID).CurrentSyncState; cur == nil || cur.Status != "Running" || cur.Type != "Full" {
			t.Errorf("Woodgrove current %+v", cur)
		}
	})
	t.Run("AcceptWhileBusy keeps the existing sync", func(t *testing.T) {
		e := start(t, veeamsim.Options{AcceptWhileBusy: true})
		if r := e.startSync(veeamsim.ContosoID, `{}`); r.status != http.StatusNoContent {
			t.Fatalf("first start: %d", r.status)
		}
		e.clock.Advance(time.Second)
		if r := e.startSync(veeamsim.ContosoID, `{"type":"Full"}`); r.status != http.StatusNoContent {
			t.Fatalf("second start: %d %s", r.status, r.body)
		}
		cur := e.state(veeamsim.ContosoID).CurrentSyncState
		if cur == nil || cur.Type != "Incremental" || !parseTime(t, cur.ScheduledTime).Equal(t0()) {
			t.Errorf("current %+v, want the first Incremental sync", cur)
		}
		if r := e.startSync(veeamsim.WoodgroveID, `{}`); r.status != http.StatusNoContent {
			t.Errorf("Woodgrove start: %d", r.status)
		}
		if got := e.srv.SyncStarts(veeamsim.ContosoID); got != 2 {
			t.Errorf("SyncStarts = %d, want 2", got)
		}
	})
}

func TestSetSync(t *testing.T) {
	e := start(t, veeamsim.Options{})
	if err := e.srv.SetSync(veeamsim.ContosoID, veeamsim.Full, veeamsim.StatusRunning); err != nil {
		t.Fatal(err)
	}
	if cur := e.state(veeamsim.ContosoID).CurrentSyncState; cur == nil || cur.Status != "Running" || cur.Type != "Full" {
		t.Fatalf("after SetSync Running: %+v", cur)
	}
	wantError(t, e.startSync(veeamsim.ContosoID, `{}`), http.StatusConflict, veeamsim.CodeOperationConflict)
	e.clock.Advance(veeamsim.DefaultRunDuration)
	if last := e.state(veeamsim.ContosoID).LastSyncState; last == nil || last.Result != "Success" {
		t.Fatalf("a set Running sync did not progress: %+v", last)
	}

	if err := e.srv.SetSync(strings.ToUpper(veeamsim.FabrikamID), "", veeamsim.StatusQueued); err != nil {
		t.Fatal(err)
	}
	if cur := e.state(veeamsim.FabrikamID).CurrentSyncState; cur == nil || cur.Status != "Queued" || cur.Type != "Incremental" {
		t.Fatalf("after SetSync Queued: %+v", cur)
	}

	if err := e.srv.SetSync(veeamsim.ContosoID, veeamsim.Incremental, veeamsim.StatusError); err != nil {
		t.Fatal(err)
	}
	if last := e.state(veeamsim.ContosoID).LastSyncState; last == nil || last.Result != "Error" || last.Error == nil ||
		!parseTime(t, &last.EndTime).Equal(e.clock.Now()) {
		t.Fatalf("after SetSync Error: %+v", last)
	}

	if err := e.srv.SetSync(veeamsim.ContosoID, "", veeamsim.StatusNone); err != nil {
		t.Fatal(err)
	}
	if st := e.state(veeamsim.ContosoID); st.LastSyncState != nil || st.CurrentSyncState != nil || st.Parts["users"] != nil {
		t.Fatalf("after SetSync None: %+v", st)
	}

	for _, bad := range []struct {
		id     string
		typ    veeamsim.SyncType
		status veeamsim.SyncStatus
	}{
		{"00000000-0000-4000-8000-000000000001", "", veeamsim.StatusRunning},
		{veeamsim.ContosoID, "Weekly", veeamsim.StatusRunning},
		{veeamsim.ContosoID, "", "Paused"},
	} {
		if err := e.srv.SetSync(bad.id, bad.typ, bad.status); err == nil {
			t.Errorf("SetSync(%s, %q, %q) = nil, want an error", bad.id, bad.typ, bad.status)
		}
	}
}

func TestSetStuck(t *testing.T) {
	e := start(t, veeamsim.Options{})
	if err := e.srv.SetStuck(veeamsim.ContosoID, true); err != nil {
		t.Fatal(err)
	}
	if r := e.startSync(veeamsim.ContosoID, `{}`); r.status != http.StatusNoContent {
		t.Fatalf("start: %d", r.status)
	}
	e.clock.Advance(time.Hour)
	if cur := e.state(veeamsim.ContosoID).CurrentSyncState; cur == nil || cur.Status != "Running" {
		t.Fatalf("stuck sync after an hour: %+v", cur)
	}
	if err := e.srv.SetStuck(veeamsim.ContosoID, false); err != nil {
		t.Fatal(err)
	}
	st := e.state(veeamsim.ContosoID)
	if st.CurrentSyncState != nil || st.LastSyncState == nil || !parseTime(t, &st.LastSyncState.EndTime).Equal(t0().Add(time.Hour)) {
		t.Fatalf("released sync: %+v", st)
	}

	if err := e.srv.SetStuck(veeamsim.WoodgroveID, false); err != nil {
		t.Fatal(err)
	}
	if r := e.startSync(veeamsim.WoodgroveID, `{}`); r.status != http.StatusNoContent {
		t.Errorf("Woodgrove start after release: %d %s", r.status, r.body)
	}
	if err := e.srv.SetStuck("00000000-0000-4000-8000-000000000001", true); err == nil {
		t.Error("SetStuck of an unknown organization: no error")
	}
}

func TestConcurrentRequests(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tok := e.login().AccessToken
	const n = 200
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var req *http.Request
			var err error
			switch i % 4 {
			case 0, 1:
				req, err = http.NewRequest("POST", e.url+"/v8/Organizations/"+veeamsim.ContosoID+"/Sync", strings.NewReader(`{}`))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
				}
			case 2:
				req, err = http.NewRequest("GET", e.url+"/v8/Organizations/SyncState", nil)
			case 3:
				req, err = http.NewRequest("POST", e.url+"/v8/token", strings.NewReader("grant_type=password&username=admin&password=veeam"))
				if err == nil {
					req.Header.Set("Content-Type", form)
				}
			}
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for i, s := range statuses {
		if i%4 < 2 {
			count[s]++
		} else if s != http.StatusOK {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if diff := cmp.Diff(map[int]int{204: 1, 409: n/2 - 1}, count); diff != "" {
		t.Errorf("sync statuses (-want +got):\n%s", diff)
	}
	if s, c := e.srv.SyncStarts(veeamsim.ContosoID), e.srv.SyncCalls(veeamsim.ContosoID); s != 1 || c != n/2 {
		t.Errorf("SyncStarts %d SyncCalls %d, want 1 and %d", s, c, n/2)
	}
	if got := e.srv.TokenGrants("password"); got != 1+n/4 {
		t.Errorf("password grants = %d, want %d", got, 1+n/4)
	}
}
