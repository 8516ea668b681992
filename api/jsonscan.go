package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxBodyDepth is how deep a request body may nest. The start bodies are two
// levels deep ({"parts":[...]}); the bound keeps a hostile body of nested
// brackets from costing more than its size.
const maxBodyDepth = 8

// maxNameBytes is the longest caller-supplied name a problem repeats.
const maxNameBytes = 64

// checkJSON rejects what encoding/json would silently accept, before anything
// else reads the body: a body that is not one JSON object, trailing data,
// nesting deeper than maxBodyDepth, duplicate member names, and member names
// that are not exactly a field of target (encoding/json would match "Full" or
// "FULL" to "full"). It checks the syntax with json.Valid (no allocation per
// value), then walks the bytes once keeping only the path of the value it is
// in, and builds a field name only for the problem it returns: its memory is
// O(len(data)) whatever the body's shape.
func checkJSON(data []byte, target reflect.Type) error {
	if !json.Valid(data) {
		// Unmarshal checks the syntax before decoding anything, so this
		// only finds the syntax error's offset.
		return bodyProblem(json.Unmarshal(data, new(json.RawMessage)))
	}
	s := &jsonScan{data: data}
	s.space()
	if s.i >= len(data) || data[s.i] != '{' {
		return newProblem(kindMalformedBody, "the body must be a JSON object")
	}
	if err := s.object(target); err != nil {
		return err
	}
	if len(s.errs) > 0 {
		r := s.refusals()
		r.complete = true
		return r
	}
	return nil
}

// fieldRefusals is the scan's field errors (a 400 validation problem) with
// the exact names of the body's members they concern, so that the other
// members can still be decoded and checked.
type fieldRefusals struct {
	problem *Problem
	members []string
	// complete is set when the scan went through the whole body (it stops
	// early at a list past its maximum or at maxFieldErrors refusals).
	complete bool
}

func (f *fieldRefusals) Error() string { return f.problem.Error() }
func (f *fieldRefusals) Unwrap() error { return f.problem }

// refuse lists a field error of the member being scanned.
func (s *jsonScan) refuse(fe FieldError) {
	s.errs = append(s.errs, fe)
	s.members = append(s.members, s.path[0].name)
}

func (s *jsonScan) refusals() *fieldRefusals {
	return &fieldRefusals{problem: validationProblem(s.errs), members: s.members}
}

// jsonScan walks a body that json.Valid accepted. path holds one segment per
// open container: a member name, or an array index.
type jsonScan struct {
	data    []byte
	i       int
	path    []pathSegment
	errs    []FieldError // unknown and duplicate members met so far
	members []string     // the top-level members errs concern, exactly as named
}

// maxFieldErrors is how many unknown or duplicate members a scan lists
// before it stops.
const maxFieldErrors = 10

type pathSegment struct {
	name    string
	index   int
	isIndex bool
}

// object walks the object at s.i; t is the Go type it decodes into (nil when
// unknown, which checks no names).
func (s *jsonScan) object(t reflect.Type) error {
	fields := jsonFields(t)
	seen := map[string]bool{}
	s.path = append(s.path, pathSegment{})
	defer func() { s.path = s.path[:len(s.path)-1] }()
	if len(s.path) > maxBodyDepth {
		return s.tooDeep()
	}
	s.i++ // '{'
	for {
		s.space()
		if s.data[s.i] == '}' {
			s.i++
			return nil
		}
		if s.data[s.i] == ',' {
			s.i++
			s.space()
		}
		name := s.name()
		s.path[len(s.path)-1] = pathSegment{name: name}
		var inner jsonField
		var refused *FieldError
		if seen[name] {
			refused = &FieldError{Field: s.field(), Rule: "duplicate", Message: "appears more than once"}
		}
		seen[name] = true
		if refused != nil {
			// listed below; its value is skipped
		} else if fields != nil {
			f, ok := fields[name]
			if !ok {
				refused = &FieldError{Field: s.field(), Rule: "unknown", Message: "is not a known field"}
			}
			inner = f
		} else if t != nil && t.Kind() == reflect.Map {
			inner = jsonField{typ: t.Elem()}
		}
		if refused != nil {
			// Listed, and the scan goes on: the caller hears of every field
			// error at once (up to maxFieldErrors).
			s.refuse(*refused)
			if len(s.errs) >= maxFieldErrors {
				return s.refusals()
			}
			inner = jsonField{}
		}
		s.space()
		s.i++ // ':'
		if err := s.value(inner); err != nil {
			return err
		}
	}
}

// array walks the array at s.i, refusing it at the item past maxItems (when
// set), so that a long array costs no more than a short one.
func (s *jsonScan) array(t reflect.Type, maxItems int) error {
	var elem jsonField
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = jsonField{typ: t.Elem()}
	}
	s.path = append(s.path, pathSegment{isIndex: true, index: -1})
	defer func() { s.path = s.path[:len(s.path)-1] }()
	if len(s.path) > maxBodyDepth {
		return s.tooDeep()
	}
	s.i++ // '['
	for {
		s.space()
		switch s.data[s.i] {
		case ']':
			s.i++
			return nil
		case ',':
			s.i++
		}
		s.path[len(s.path)-1].index++
		if maxItems > 0 && s.path[len(s.path)-1].index >= maxItems {
			field := fieldName(s.path[:len(s.path)-1])
			msg := fmt.Sprintf("must have at most %d items", maxItems)
			s.refuse(FieldError{Field: field, Rule: "max", Message: msg})
			return s.refusals()
		}
		if err := s.value(elem); err != nil {
			return err
		}
	}
}

// value walks the value at s.i (after spaces).
func (s *jsonScan) value(f jsonField) error {
	t := f.typ
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s.space()
	switch s.data[s.i] {
	case '{':
		return s.object(t)
	case '[':
		return s.array(t, f.maxItems)
	case '"':
		s.skipString()
	default: // number, true, false, null
		for s.i < len(s.data) && !strings.ContainsRune(",]} \t\r\n", rune(s.data[s.i])) {
			s.i++
		}
	}
	return nil
}

// name reads the member name at s.i.
func (s *jsonScan) name() string {
	start := s.i
	s.skipString()
	raw := s.data[start:s.i]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var name string
	_ = json.Unmarshal(raw, &name) // valid: json.Valid accepted the body
	return name
}

// skipString moves past the string at s.i.
func (s *jsonScan) skipString() {
	s.i++ // opening quote
	for s.data[s.i] != '"' {
		if s.data[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
}

func (s *jsonScan) space() {
	for s.i < len(s.data) && strings.ContainsRune(" \t\r\n", rune(s.data[s.i])) {
		s.i++
	}
}

func (s *jsonScan) tooDeep() error {
	return newProblem(kindMalformedBody, fmt.Sprintf("the body nests deeper than %d levels", maxBodyDepth))
}

// field names the current value as the caller wrote it ("parts[1]"), each
// name shortened to maxNameBytes.
func (s *jsonScan) field() string { return fieldName(s.path) }

func fieldName(path []pathSegment) string {
	var b strings.Builder
	for _, seg := range path {
		if seg.isIndex {
			fmt.Fprintf(&b, "[%d]", seg.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(shortName(seg.name))
	}
	return b.String()
}

// shortName is name cut to maxNameBytes (on a rune boundary) with an
// ellipsis, so that a problem never repeats a huge caller-supplied name.
func shortName(name string) string {
	if len(name) <= maxNameBytes {
		return name
	}
	cut := maxNameBytes
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}

// jsonField is what the scan knows of a member: its Go type, and for a
// slice the max=N of its validate tag (before any dive), else 0.
type jsonField struct {
	typ      reflect.Type
	maxItems int
}

// jsonFields maps the exact JSON member names of a struct type (embedded
// structs without a name flattened, as encoding/json does) to their fields;
// nil when t is not a struct.
func jsonFields(t reflect.Type) map[string]jsonField {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]jsonField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			for n, ft := range jsonFields(f.Type) {
				if _, ok := fields[n]; !ok {
					fields[n] = ft
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = jsonField{typ: f.Type, maxItems: maxItems(f)}
	}
	return fields
}

// maxItems reads max=N from a slice field's validate tag, up to a dive.
func maxItems(f reflect.StructField) int {
	if f.Type.Kind() != reflect.Slice {
		return 0
	}
	for rule := range strings.SplitSeq(f.Tag.Get("validate"), ",") {
		if rule == "dive" {
			break
		}
		if n, ok := strings.CutPrefix(rule, "max="); ok {
			if m, err := strconv.Atoi(n); err == nil {
				return m
			}
		}
	}
	return 0
}

// isTimeout reports whether reading a body failed on the connection's read
// deadline (the server's read timeout): the caller was too slow, 408.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
