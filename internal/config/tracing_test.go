package config

import (
	"strings"
	"testing"
)

// TestTracingSettings: the OTEL_* variables turn OTLP trace export on, at the
// endpoint and over the protocol they name, or off.
func TestTracingSettings(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		want    Tracing
		wantErr string
	}{
		{"unset: off", nil, Tracing{Protocol: "http/protobuf"}, ""},
		{"base endpoint, http: /v1/traces added", map[string]string{envOTLPEndpoint: "http://collector:4318/"},
			Tracing{Endpoint: "http://collector:4318/v1/traces", Protocol: "http/protobuf"}, ""},
		{"base endpoint, grpc: as is", map[string]string{envOTLPEndpoint: "http://collector:4317", envOTLPProtocol: "grpc"},
			Tracing{Endpoint: "http://collector:4317", Protocol: "grpc"}, ""},
		{"traces endpoint wins, as is", map[string]string{envOTLPEndpoint: "http://a:4318", envOTLPTracesEndpoint: "https://b/otlp/traces"},
			Tracing{Endpoint: "https://b/otlp/traces", Protocol: "http/protobuf"}, ""},
		{"traces protocol wins", map[string]string{envOTLPEndpoint: "http://a:4317", envOTLPProtocol: "http/protobuf", envOTLPTracesProtocol: "grpc"},
			Tracing{Endpoint: "http://a:4317", Protocol: "grpc"}, ""},
		{"SDK disabled", map[string]string{envOTLPEndpoint: "http://a:4318", envOTelSDKDisabled: "true"}, Tracing{Protocol: "http/protobuf"}, ""},
		{"exporter none", map[string]string{envOTLPEndpoint: "http://a:4318", envOTelTracesExporter: "none"}, Tracing{Protocol: "http/protobuf"}, ""},
		{"http/json refused", map[string]string{envOTLPEndpoint: "http://a:4318", envOTLPProtocol: "http/json"}, Tracing{}, envOTLPProtocol},
		{"exporter zipkin refused", map[string]string{envOTelTracesExporter: "zipkin"}, Tracing{}, envOTelTracesExporter},
		{"not a URL", map[string]string{envOTLPEndpoint: "collector:4318"}, Tracing{}, envOTLPEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := minimal(tt.vars)
			c, err := Load(func(k string) string { return vars[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v; want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Tracing != tt.want {
				t.Errorf("Tracing = %+v; want %+v", c.Tracing, tt.want)
			}
		})
	}
}
