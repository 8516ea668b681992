package api

import (
	"encoding/json"
	"io"
	"net/http"
)

// jsonEncode writes v as JSON without HTML escaping.
func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// encode writes v as a JSON response with the given status.
func encode(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
	w.WriteHeader(status)
	_ = jsonEncode(w, v)
}
