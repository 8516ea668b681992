package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// maxBodyBytes is the largest request body accepted.
const maxBodyBytes = 64 << 10

// body reads a JSON body into v and validates it. An empty body leaves v as
// it is (its defaults) when optional is set. Every failure is a *Problem:
// 408 when the body is too slow to arrive, 413 over the size limit, 415 for a body that is not JSON, 400 for
// malformed JSON, duplicate or unknown fields, wrong types and failed rules.
func (b binder) body(r *http.Request, v any, optional bool) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return b.validate(v)
		}
		return newProblem(kindMalformedBody, "a JSON body is required")
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return newProblem(kindUnsupportedMedia, "send the body as application/json")
	}
	if err := checkJSON(data, reflect.TypeOf(v)); err != nil {
		return b.alsoTheRest(data, v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return b.decodeProblem(data, v, err)
	}
	return b.validate(v)
}

// readBody reads the whole request body (bounded by limitBody). Its failure
// is a *Problem: 413 over the size limit, 408 too slow, 400 otherwise.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newProblem(kindBodyTooLarge, fmt.Sprintf("the body must not exceed %d bytes", maxBodyBytes))
		}
		if isTimeout(err) {
			return nil, newProblem(kindRequestTimeout, "the body did not arrive within the server's read timeout")
		}
		return nil, newProblem(kindMalformedBody, "the body could not be read")
	}
	return data, nil
}

// isJSON reports whether a Content-Type is application/json or +json.
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// bodyProblem turns a JSON decoding error into a 400 problem.
func bodyProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return newProblem(kindMalformedBody,
			fmt.Sprintf("invalid JSON at byte %d: %s", syntax.Offset, syntax.Error()))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return newProblem(kindValidation, field+": must be "+jsonKind(typ.Type)).withErrors(FieldError{Field: field, Rule: "type", Message: "must be " + jsonKind(typ.Type)})
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return newProblem(kindMalformedBody, "the JSON body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return newProblem(kindValidation, "unknown field "+strconv.Quote(name)).withErrors(FieldError{Field: name, Rule: "unknown", Message: "is not a known field"})
	}
	return newProblem(kindMalformedBody, "the body is not valid JSON")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Float64:
		return "a number"
	}
	return "of another type"
}
