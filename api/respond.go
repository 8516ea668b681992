package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// encoder is a JSON encoder without HTML escaping and its buffer, reused
// across answers (an encoder per answer is an allocation per request).
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// jsonEncode writes v as JSON without HTML escaping, in one Write.
func jsonEncode(w io.Writer, v any) error {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= 64<<10 { // a rare large answer does not stay
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(e.buf.Bytes())
	return err
}

// encode writes v as a JSON response with the given status.
func encode(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
	w.WriteHeader(status)
	_ = jsonEncode(w, v)
}
