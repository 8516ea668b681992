package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	for _, tt := range []struct {
		secret Secret
		want   string
	}{
		{secret: "hunter2-password", want: "******"},
		{secret: "", want: ""},
	} {
		t.Run(tt.want, func(t *testing.T) {
			s := tt.secret
			text, _ := s.MarshalText()
			js, _ := json.Marshal(s)
			wantJSON, _ := json.Marshal(tt.want)
			got := map[string]string{
				"String":      s.String(),
				"GoString":    s.GoString(),
				"MarshalText": string(text),
				"LogValue":    s.LogValue().String(),
				"%v":          fmt.Sprintf("%v", s),
				"%+v":         fmt.Sprintf("%+v", s),
				"%#v":         fmt.Sprintf("%#v", s),
				"%s":          fmt.Sprintf("%s", s),
				"%x":          fmt.Sprintf("%x", s),
				"%d":          fmt.Sprintf("%d", s),
				"Sprint":      fmt.Sprint(s),
				"slog.Any":    slog.Any("k", s).Value.Resolve().String(),
			}
			for how, out := range got {
				if out != tt.want {
					t.Errorf("%s = %q, want %q", how, out, tt.want)
				}
			}
			if q := fmt.Sprintf("%q", s); q != fmt.Sprintf("%q", tt.want) {
				t.Errorf("%%q = %s, want %q", q, tt.want)
			}
			if string(js) != string(wantJSON) {
				t.Errorf("json.Marshal = %s, want %s", js, wantJSON)
			}
			if s.Reveal() != string(tt.secret) {
				t.Errorf("Reveal = %q, want %q", s.Reveal(), string(tt.secret))
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"redis://localhost:6379", "redis://localhost:6379"},
		{"redis://:pa%40ss@localhost:6379/0", "redis://:******@localhost:6379/0"},
		{"rediss://user:pa55@redis.example.com:6380/2", "rediss://user:******@redis.example.com:6380/2"},
		{"rediss://user@redis.example.com", "rediss://user@redis.example.com"},
		{"rediss://:s3cret-pw@redis.example.com:6380/0", "rediss://:******@redis.example.com:6380/0"},
		{"rediss://redis.example.com/0?password=pa55&dial_timeout=3s", "rediss://redis.example.com/0?dial_timeout=3s&password=******"},
		{"%zz:pa55", "******"}, // does not parse: masked whole
	} {
		if got := redactURL(Secret(tt.in)); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
