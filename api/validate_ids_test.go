package api

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestJobIDMatcherAgreesWithTheDocumentedPattern: isJobID accepts exactly
// what the contract's pattern accepts.
func TestJobIDMatcherAgreesWithTheDocumentedPattern(t *testing.T) {
	jobID := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)
	cases := []string{
		"", "aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f",
		".job", "-job", "_job", "j", "j.", "job id", "job/x", "jöb", "job\n", strings.Repeat("a", 200), strings.Repeat("a", 201),
		"a" + strings.Repeat("-", 199), "a" + strings.Repeat(".", 200),
	}
	alphabet := []byte("0123456789abcdefABCDEFgzZ.-_ /%\x00\xff")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	// Every one-byte change of a valid id.
	for _, valid := range []string{"a1.b_c-d", "Z"} {
		for i := range len(valid) {
			for _, c := range alphabet {
				cases = append(cases, valid[:i]+string(c)+valid[i+1:])
			}
		}
	}
	for _, s := range cases {
		if got, want := isJobID(s), jobID.MatchString(s); got != want {
			t.Errorf("isJobID(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

// TestJobPathRules: pathJob skips the validator for ids that pass
// ids.IsGUID and isJobID, which is right only while those are jobPath's
// rules.
func TestJobPathRules(t *testing.T) {
	typ := reflect.TypeFor[jobPath]()
	got := map[string]string{}
	for i := range typ.NumField() {
		got[typ.Field(i).Name] = typ.Field(i).Tag.Get("validate")
	}
	want := map[string]string{"ApplicationID": "guid", "JobID": "jobid"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("jobPath's validate tags are %v; pathJob's fast path checks %v: change both together", got, want)
	}
}

// TestQueryRules: the validator's walk is skipped only for a query of plain
// values without rules; a query with rules is still checked.
func TestQueryRules(t *testing.T) {
	if hasRules(reflect.TypeFor[startQuery]()) {
		t.Error("startQuery (two flags, no rules) has rules")
	}
	if !hasRules(reflect.TypeFor[pageQuery]()) {
		t.Error("pageQuery (limit and offset with min/max) has no rules")
	}
	if !hasRules(reflect.TypeFor[struct{ Nested struct{ X int } }]()) {
		t.Error("a struct the validator would descend into has no rules")
	}
	b := newBinder()
	r := httptest.NewRequest(http.MethodGet, "/?limit=0&offset=-1", nil)
	var q pageQuery
	if err := b.query(r, &q); err == nil {
		t.Errorf("limit=0&offset=-1 passed: %+v", q)
	}
}
