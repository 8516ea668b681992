package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// alsoTheRest completes the field errors the pre-scan found (unknown and
// duplicate members, a list past its maximum) with those of the body's other
// members, decoded and validated as usual: the caller hears of every field
// error at once. Any other problem (malformed JSON, too deep), and the
// refusals of a scan that stopped early, stand alone.
func (b binder) alsoTheRest(data []byte, v any, scanErr error) error {
	var refused *fieldRefusals
	if !errors.As(scanErr, &refused) || !refused.complete {
		// A scan that stopped early met a hostile or runaway body: its
		// refusals stand alone, and nothing more of it is read.
		return scanErr
	}
	p := refused.problem
	var members map[string]json.RawMessage
	if json.Unmarshal(data, &members) != nil {
		return scanErr
	}
	for _, name := range refused.members {
		delete(members, name)
	}
	errs := slices.Clone(p.Errors)
	rest, err := json.Marshal(members)
	if err != nil {
		return scanErr
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	more := dec.Decode(v)
	if more != nil {
		more = b.decodeProblem(rest, v, more)
	} else {
		more = b.validate(v)
	}
	var mp *Problem
	if errors.As(more, &mp) && mp.Type == TypeValidation {
		errs = append(errs, mp.Errors...)
	}
	return validationProblem(errs)
}

// decodeProblem answers a body that decoding refused. A value of the wrong
// type is one field error among others, and the caller must hear of every
// field error at once: encoding/json fills every other field but names only
// the first such value, so each member is decoded alone to find them all,
// and the rest of the body is validated as usual.
func (b binder) decodeProblem(data []byte, v any, err error) error {
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) {
		return bodyProblem(err)
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(data, &members) != nil {
		return bodyProblem(err)
	}
	t := reflect.TypeOf(v).Elem()
	var errs []FieldError
	wrongType := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		one, _ := json.Marshal(map[string]json.RawMessage{name: members[name]})
		merr := json.Unmarshal(one, reflect.New(t).Interface())
		var p *Problem
		if errors.As(merr, new(*json.UnmarshalTypeError)) && errors.As(bodyProblem(merr), &p) {
			for _, fe := range p.Errors {
				fe.Field = withoutEmbedded(t, fe.Field)
				errs = append(errs, fe)
			}
			wrongType[name] = true
		}
	}
	if len(errs) == 0 {
		return bodyProblem(err)
	}
	var p *Problem
	if errors.As(b.validate(v), &p) {
		for _, fe := range p.Errors {
			if !wrongType[memberName(fe.Field)] {
				errs = append(errs, fe)
			}
		}
	}
	return validationProblem(errs)
}

// memberName is the body member a field error is about: "parts" for
// "parts[1]".
func memberName(field string) string {
	if i := strings.IndexAny(field, "[."); i >= 0 {
		return field[:i]
	}
	return field
}

// withoutEmbedded drops from an encoding/json field path
// ("SyncRequest.full") the names of t's embedded structs, whose fields are
// the body's own members ("full").
func withoutEmbedded(t reflect.Type, field string) string {
	segs := strings.Split(field, ".")
	for len(segs) > 1 {
		f, ok := t.FieldByName(segs[0])
		if !ok || !f.Anonymous {
			break
		}
		segs, t = segs[1:], f.Type
	}
	return strings.Join(segs, ".")
}
