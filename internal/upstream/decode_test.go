package upstream

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func jsonResponse(body string) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body))}
}

// TestDecodeJSONKeepsNothingOfTheBuffer: a decoded answer stays as it was
// after the next answers are read (their bodies reuse the pooled buffer),
// for bodies in the pool's size and over it.
func TestDecodeJSONKeepsNothingOfTheBuffer(t *testing.T) {
	type answer struct {
		ID    string    `json:"id"`
		Names []string  `json:"names"`
		When  Timestamp `json:"when"`
	}
	for _, pad := range []int{0, pooledBody} {
		body := func(i int) string {
			return `{"id":"job-` + strconv.Itoa(i) + `","names":["a` + strconv.Itoa(i) + `"],"when":"2026-12-0` + strconv.Itoa(i) + `T10:00:00Z","x":"` + strings.Repeat("y", pad) + `"}`
		}
		var got [5]answer
		for i := range got {
			if err := DecodeJSON("graph", "get job", jsonResponse(body(i+1)), 1<<20, "", &got[i]); err != nil {
				t.Fatalf("pad %d, answer %d: %v", pad, i+1, err)
			}
		}
		for i, a := range got {
			n := strconv.Itoa(i + 1)
			when := time.Date(2026, 12, i+1, 10, 0, 0, 0, time.UTC)
			if a.ID != "job-"+n || len(a.Names) != 1 || a.Names[0] != "a"+n || a.When.T == nil || !a.When.T.Equal(when) {
				t.Errorf("pad %d: answer %d read back as %+v (when %v)", pad, i+1, a, a.When.T)
			}
		}
	}
}

// TestDecodeJSONShortBody: a body shorter than announced is a transport
// error, and its buffer goes on serving.
func TestDecodeJSONShortBody(t *testing.T) {
	resp := jsonResponse(`{"id":"x"}`)
	resp.ContentLength = 100
	var out struct{ ID string }
	err := DecodeJSON("graph", "get job", resp, 1<<20, "", &out)
	if ue, ok := As(err); !ok || ue.Status != 0 {
		t.Fatalf("short body: %v; want a transport error", err)
	}
	if err := DecodeJSON("graph", "get job", jsonResponse(`{"ID":"y"}`), 1<<20, "", &out); err != nil || out.ID != "y" {
		t.Fatalf("next body: %v, %+v", err, out)
	}
}
