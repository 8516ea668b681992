package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"

	"github.com/syncgate/syncgate/internal/ids"
)

// isJobID reports whether s matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$
// (checked byte by byte: every job request validates its id, and a regular
// expression costs several times more).
func isJobID(s string) bool {
	if len(s) == 0 || len(s) > 200 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// binder parses and validates requests. Its validator caches struct
// metadata, so one is built per server and shared (it is safe for
// concurrent use).
type binder struct{ v *validator.Validate }

func newBinder() binder {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "query", "path"} {
			if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	_ = v.RegisterValidation("guid", func(fl validator.FieldLevel) bool { return ids.IsGUID(fl.Field().String()) })
	_ = v.RegisterValidation("jobid", func(fl validator.FieldLevel) bool { return isJobID(fl.Field().String()) })
	return binder{v: v}
}

// validate runs the validate tags of v and lists every failure.
func (b binder) validate(v any) error {
	err := b.v.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("api: validate: %w", err)
	}
	errs := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		errs = append(errs, FieldError{Field: fieldPath(reflect.TypeOf(v), fe), Rule: fe.Tag(), Message: ruleMessage(fe)})
		errs = append(errs, b.items(v, fe)...)
	}
	return validationProblem(errs)
}

// items checks each item of a list whose own rule failed (unique, max):
// the validator stops at a field's first failing rule, before its dive, and
// the caller must hear of every field error at once.
func (b binder) items(v any, fe validator.FieldError) []FieldError {
	if fe.Kind() != reflect.Slice {
		return nil
	}
	sf, ok := structField(reflect.TypeOf(v), fe.StructNamespace())
	if !ok {
		return nil
	}
	_, rules, ok := strings.Cut(sf.Tag.Get("validate"), ",dive,")
	if !ok {
		return nil
	}
	list := reflect.ValueOf(fe.Value())
	var errs []FieldError
	for i := range list.Len() {
		var verrs validator.ValidationErrors
		if !errors.As(b.v.Var(list.Index(i).Interface(), rules), &verrs) {
			continue
		}
		for _, ie := range verrs {
			errs = append(errs, FieldError{Field: fmt.Sprintf("%s[%d]", fieldPath(reflect.TypeOf(v), fe), i), Rule: ie.Tag(), Message: ruleMessage(ie)})
		}
	}
	return errs
}

// structField finds the field a validator struct namespace
// ("BulkSyncRequest.SyncRequest.Parts") names in t.
func structField(t reflect.Type, namespace string) (reflect.StructField, bool) {
	names := strings.Split(namespace, ".")
	var sf reflect.StructField
	for _, name := range names[1:] {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return sf, false
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return sf, false
		}
		sf, t = f, f.Type
	}
	return sf, len(names) > 1
}

func validationProblem(errs []FieldError) *Problem {
	details := make([]string, len(errs))
	for i, e := range errs {
		details[i] = e.Field + ": " + e.Message
	}
	return newProblem(kindValidation, strings.Join(details, "; ")).withErrors(errs...)
}

// fieldPath is the field's name as the caller wrote it: "parts[1]", not
// "BulkSyncRequest.SyncRequest.Parts[1]" (t is the validated struct's type;
// an embedded struct's fields are the body's own members).
func fieldPath(t reflect.Type, fe validator.FieldError) string {
	names, goNames := strings.Split(fe.Namespace(), "."), strings.Split(fe.StructNamespace(), ".")
	if len(names) < 2 || len(names) != len(goNames) {
		return fe.Field()
	}
	var out []string
	for i := 1; i < len(names); i++ {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		goName, _, indexed := strings.Cut(goNames[i], "[")
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(goName); ok {
				t = f.Type
				if indexed && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
					t = t.Elem()
				}
				if f.Anonymous {
					continue
				}
			}
		}
		out = append(out, names[i])
	}
	return strings.Join(out, ".")
}

func ruleMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "guid":
		return "must be a GUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "jobid":
		return "must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
	case "min":
		if fe.Kind() == reflect.Slice {
			return "must have at least " + fe.Param() + " items"
		}
		return "must be at least " + fe.Param()
	case "max":
		if fe.Kind() == reflect.Slice {
			return "must have at most " + fe.Param() + " items"
		}
		return "must be at most " + fe.Param()
	case "oneof":
		return "must be one of " + fe.Param()
	case "unique":
		return "must not repeat a value"
	}
	return "fails the " + fe.Tag() + " rule"
}

// bindQuery sets the fields of dst tagged `query:"name"` from the URL query
// (int, bool and string fields) and validates dst. Unknown, repeated and
// ill-typed parameters are field errors: a mistyped "dryrun" must not
// silently start a sync.
func (b binder) query(r *http.Request, dst any) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return validationProblem([]FieldError{{Field: "(query)", Rule: "syntax", Message: "is not a valid URL query: " + err.Error()}})
	}
	rv := reflect.ValueOf(dst).Elem()
	meta := queryMetaOf(rv.Type())
	var errs []FieldError
	for _, qf := range meta.fields {
		vals, ok := q[qf.name]
		if !ok {
			continue
		}
		if len(vals) > 1 {
			errs = append(errs, FieldError{Field: qf.name, Rule: "single", Message: "must be given once"})
			continue
		}
		f := rv.Field(qf.index)
		switch f.Kind() {
		case reflect.Int:
			n, err := strconv.Atoi(vals[0])
			if err != nil {
				errs = append(errs, FieldError{Field: qf.name, Rule: "type", Message: "must be an integer"})
				continue
			}
			f.SetInt(int64(n))
		case reflect.Bool:
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				errs = append(errs, FieldError{Field: qf.name, Rule: "type", Message: "must be true or false"})
				continue
			}
			f.SetBool(b)
		case reflect.String:
			f.SetString(vals[0])
		}
	}
	errs = append(errs, unknownParams(q, meta.known)...)
	if meta.rules {
		if err := b.validate(dst); err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				return err
			}
			errs = append(errs, p.Errors...)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return validationProblem(errs)
	}
	return nil
}

// queryMeta is what binder.query reads of a query struct's type, read once
// per type rather than per request.
type queryMeta struct {
	fields []queryField    // the fields with a query tag
	known  map[string]bool // their names; read only
	rules  bool            // the validator has something to check
}

type queryField struct {
	index int
	name  string
}

var queryMetas sync.Map // reflect.Type → *queryMeta

func queryMetaOf(t reflect.Type) *queryMeta {
	if m, ok := queryMetas.Load(t); ok {
		return m.(*queryMeta)
	}
	m := &queryMeta{known: map[string]bool{}, rules: hasRules(t)}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("query"), ",")
		if name == "" {
			continue
		}
		m.known[name] = true
		m.fields = append(m.fields, queryField{index: i, name: name})
	}
	queryMetas.Store(t, m)
	return m
}

// hasRules reports whether the validator could find anything wrong in a
// struct of type t: a field with a validate tag, or one it would descend
// into (anything but a bool, number or string). A struct of plain flags
// without rules (startQuery) skips the validator's walk.
func hasRules(t reflect.Type) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("validate") != "" {
			return true
		}
		switch f.Type.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64, reflect.String:
		default:
			return true
		}
	}
	return false
}

// collect returns the problem a request's parts (path, query, body) add up
// to: a problem that is not about field validation (413, 415, malformed
// JSON) wins; otherwise every field error is listed in one 400.
func collect(errs ...error) error {
	var fields []FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var p *Problem
		if !errors.As(err, &p) || p.Type != TypeValidation {
			return err
		}
		fields = append(fields, p.Errors...)
	}
	if len(fields) == 0 {
		return nil
	}
	return validationProblem(fields)
}
