package api

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// answerOptions encode an answer exactly as encoding/json does (its
// legacy semantics: nil slices as null, omitempty, time.Time as RFC 3339
// with nanoseconds...) but without HTML escaping, through json v2, which
// writes timestamps and the rest straight into the buffer: a job answer's
// three timestamps cost encoding/json an allocation each.
var answerOptions = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsontext.EscapeForHTML(false))

// answerBuffers are the buffers answers are encoded into, reused across
// answers.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// jsonEncode writes v as JSON without HTML escaping, followed by a newline
// (as json.Encoder writes it), in one Write.
func jsonEncode(w io.Writer, v any) error {
	buf := answerBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // a rare large answer does not stay
			buf.Reset()
			answerBuffers.Put(buf)
		}
	}()
	if err := jsonv2.MarshalWrite(buf, v, answerOptions); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
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
