package api

import (
	"fmt"
	"net/url"
	"slices"
)

// maxUnknownListed is how many unknown query parameters a problem names; the
// rest are counted, so that 4,000 made-up parameters do not come back twice
// in a 240 KB answer.
const maxUnknownListed = 5

// unknownParams lists the query parameters that are not in known: the first
// maxUnknownListed by name (each name shortened to maxNameBytes), then one
// entry counting the others.
func unknownParams(q url.Values, known map[string]bool) []FieldError {
	var names []string
	for name := range q {
		if !known[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var errs []FieldError
	for _, name := range names[:min(len(names), maxUnknownListed)] {
		errs = append(errs, FieldError{Field: shortName(name), Rule: "unknown", Message: "is not a known query parameter"})
	}
	if more := len(names) - maxUnknownListed; more > 0 {
		errs = append(errs, FieldError{Field: "(query)", Rule: "unknown", Message: fmt.Sprintf("%d more unknown query parameters are not listed", more)})
	}
	return errs
}
