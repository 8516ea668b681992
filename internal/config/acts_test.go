package config_test

import (
	"go/ast"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/syncgate/syncgate/internal/config"
)

// TestEverySettingActs walks config.Vars: a setting that is read must do
// what it says (STYLE.md 13), so each variable, set to a valid value other
// than its default, must change the Config that Load builds, and every
// field it changes must be read by the gateway outside the config package
// (or by a config method the gateway calls, such as Graph.AuthorityHost),
// not only by Load and the start-up log line. A new
// variable that is parsed and then ignored fails here.
//
// A variable is tried with the values of samples first (for those that need
// a particular value or companions), else with each of candidates until one
// loads and changes the Config.
func TestEverySettingActs(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	anyFile := file("any", "content\n")
	base := map[string]string{
		"SYNCGATE_JWT_ISSUERS":         "https://issuer.example.com",
		"SYNCGATE_JWT_AUDIENCES":       "api://syncgate",
		"SYNCGATE_JWT_JWKS_URL":        "https://issuer.example.com/keys",
		"SYNCGATE_VEEAM_URL":           "https://vb365.example.com:4443",
		"SYNCGATE_VEEAM_USERNAME":      "svc",
		"SYNCGATE_VEEAM_PASSWORD":      "pw",
		"SYNCGATE_GRAPH_TENANT_ID":     "contoso.onmicrosoft.com",
		"SYNCGATE_GRAPH_CLIENT_ID":     "6731de76-14a6-49ae-97bc-6eba6914391e",
		"SYNCGATE_GRAPH_CLIENT_SECRET": "s3cret",
	}
	// samples are the variables no candidate fits: the environment changes
	// (over base; "" unsets) that set each one.
	samples := map[string]map[string]string{
		"SYNCGATE_TLS_CERT_FILE":       {"SYNCGATE_TLS_CERT_FILE": anyFile, "SYNCGATE_TLS_KEY_FILE": anyFile},
		"SYNCGATE_TLS_KEY_FILE":        {"SYNCGATE_TLS_CERT_FILE": anyFile, "SYNCGATE_TLS_KEY_FILE": anyFile},
		"SYNCGATE_JWT_PUBLIC_KEY_FILE": {"SYNCGATE_JWT_PUBLIC_KEY_FILE": anyFile, "SYNCGATE_JWT_JWKS_URL": ""},
		"SYNCGATE_JWT_HMAC_SECRET":     {"SYNCGATE_JWT_HMAC_SECRET": strings.Repeat("k", 32), "SYNCGATE_JWT_JWKS_URL": ""},
		"SYNCGATE_JWT_HMAC_SECRET_FILE": {"SYNCGATE_JWT_HMAC_SECRET_FILE": file("hmac", strings.Repeat("k", 32)),
			"SYNCGATE_JWT_JWKS_URL": ""},
		"SYNCGATE_JWT_ALGORITHMS":                         {"SYNCGATE_JWT_ALGORITHMS": "RS256"},
		"SYNCGATE_JWT_DISCOVERY":                          {"SYNCGATE_JWT_DISCOVERY": "true", "SYNCGATE_JWT_JWKS_URL": ""},
		"SYNCGATE_VEEAM_PASSWORD_FILE":                    {"SYNCGATE_VEEAM_PASSWORD_FILE": file("veeam", "other"), "SYNCGATE_VEEAM_PASSWORD": ""},
		"SYNCGATE_VEEAM_API_VERSION":                      {"SYNCGATE_VEEAM_API_VERSION": "v7"},
		"SYNCGATE_GRAPH_CLIENT_SECRET_FILE":               {"SYNCGATE_GRAPH_CLIENT_SECRET_FILE": file("graph", "other"), "SYNCGATE_GRAPH_CLIENT_SECRET": ""},
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE":          {"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE": anyFile, "SYNCGATE_GRAPH_CREDENTIAL": "certificate"},
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD":      {"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD": "p", "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE": anyFile, "SYNCGATE_GRAPH_CREDENTIAL": "certificate"},
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD_FILE": {"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD_FILE": anyFile, "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE": anyFile, "SYNCGATE_GRAPH_CREDENTIAL": "certificate"},
		"SYNCGATE_GRAPH_CREDENTIAL":                       {"SYNCGATE_GRAPH_CREDENTIAL": "managed-identity"},
		"SYNCGATE_GRAPH_CLOUD":                            {"SYNCGATE_GRAPH_CLOUD": "usgov"},
		"SYNCGATE_GRAPH_API_VERSION":                      {"SYNCGATE_GRAPH_API_VERSION": "v1.0"},
		"SYNCGATE_GRAPH_JOB_PATH":                         {"SYNCGATE_GRAPH_JOB_PATH": "servicePrincipals"},
		"SYNCGATE_GRAPH_TENANT_ID":                        {"SYNCGATE_GRAPH_TENANT_ID": "fabrikam.onmicrosoft.com"},
		"SYNCGATE_GRAPH_CLIENT_ID":                        {"SYNCGATE_GRAPH_CLIENT_ID": "00000000-0000-0000-0000-000000000001"},
		"SYNCGATE_REDIS_URL":                              {"SYNCGATE_REDIS_URL": "redis://redis.example.com:6379/0"},
		"SYNCGATE_REDIS_URL_FILE":                         {"SYNCGATE_REDIS_URL_FILE": file("redis", "redis://redis.example.com:6379/0")},
		"SYNCGATE_RATE_LIMIT":                             {"SYNCGATE_RATE_LIMIT": "100/m"},
		"SYNCGATE_LOG_LEVEL":                              {"SYNCGATE_LOG_LEVEL": "debug"},
		"OTEL_EXPORTER_OTLP_PROTOCOL":                     {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL":              {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
		"OTEL_SDK_DISABLED":                               {"OTEL_SDK_DISABLED": "true"},
		"OTEL_TRACES_EXPORTER":                            {"OTEL_TRACES_EXPORTER": "none"},
		"SYNCGATE_LOG_FORMAT":                             {"SYNCGATE_LOG_FORMAT": "text"},
		"SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY":             {"SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY": "true"},
		"SYNCGATE_HTTP_WRITE_TIMEOUT":                     {"SYNCGATE_HTTP_WRITE_TIMEOUT": "90s"},
		"SYNCGATE_GRAPH_SCOPE":                            {"SYNCGATE_GRAPH_SCOPE": "https://other.example.com/.default"},
	}
	// candidates fit most variables: numbers, durations, files, URLs, names.
	candidates := []string{"7", "7s", anyFile, "https://other.example.com", "127.0.0.1:9999", "Other.Scope"}

	baseCfg, err := config.Load(getenv(base))
	if err != nil {
		t.Fatalf("base environment: %v", err)
	}
	// against are companions a variable is compared beside, when its effect
	// shows only with them: turning tracing off needs an endpoint to send to.
	collector := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
	against := map[string]map[string]string{"OTEL_SDK_DISABLED": collector, "OTEL_TRACES_EXPORTER": collector}
	used := fieldsRead(t)
	for _, v := range config.Vars() {
		vbase, vbaseCfg := base, baseCfg
		if a := against[v.Name]; a != nil {
			vbase = maps.Clone(base)
			maps.Copy(vbase, a)
			if vbaseCfg, err = config.Load(getenv(vbase)); err != nil {
				t.Fatalf("%s: base environment with %v: %v", v.Name, a, err)
			}
		}
		try := []map[string]string{samples[v.Name]}
		if samples[v.Name] == nil {
			try = nil
			for _, c := range candidates {
				try = append(try, map[string]string{v.Name: c})
			}
		}
		var changed []string
		var cfg *config.Config
		for _, over := range try {
			env := maps.Clone(vbase)
			maps.Copy(env, over)
			c, err := config.Load(getenv(env))
			if err != nil {
				continue
			}
			if changed = diff(reflect.ValueOf(*vbaseCfg), reflect.ValueOf(*c), ""); len(changed) > 0 {
				cfg = c
				break
			}
		}
		if cfg == nil {
			t.Errorf("%s: no value tried loads and changes the Config: add one to samples in this test", v.Name)
			continue
		}
		var ignored []string
		for _, f := range changed {
			if !used[f] {
				ignored = append(ignored, f)
			}
		}
		if len(ignored) > 0 {
			t.Errorf("%s sets Config.%s, which nothing outside package config reads: the setting is parsed and ignored", v.Name, strings.Join(ignored, ", Config."))
		}
	}
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// diff lists the paths ("Veeam.Timeout") of the leaf fields that differ
// between two values of the same struct type.
func diff(a, b reflect.Value, prefix string) []string {
	if a.Kind() == reflect.Struct {
		var out []string
		for i := range a.NumField() {
			out = append(out, diff(a.Field(i), b.Field(i), prefix+a.Type().Field(i).Name+".")...)
		}
		return out
	}
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return nil
	}
	return []string{strings.TrimSuffix(prefix, ".")}
}

// notActing are the functions of package config whose reading of a field
// does not make the setting act: they parse it or log it.
func notActing(fn *types.Func) bool {
	if fn.Name() == "Load" || fn.Name() == "LogValue" {
		return true
	}
	recv := fn.Signature().Recv()
	return recv != nil && strings.Contains(recv.Type().String(), "loader")
}

// fieldsRead type-checks every package of the module (tests excluded) and
// returns the paths of the Config fields ("Veeam.Timeout") that are read
// outside package config, directly or through a config function or method
// that is itself read outside it (transitively).
func fieldsRead(t *testing.T) map[string]bool {
	t.Helper()
	const configPath = "github.com/syncgate/syncgate/internal/config"
	pkgs, err := packages.Load(&packages.Config{
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax,
		Dir:  "../..",
	}, "./...")
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("the module does not type-check")
	}
	// Which object each config function reads, and which objects are read
	// from outside the package.
	readsOf := map[types.Object][]types.Object{} // config func → objects it reads
	outside := map[types.Object]bool{}
	var cfgPkg *types.Package
	for _, p := range pkgs {
		if p.PkgPath == configPath {
			cfgPkg = p.Types
		}
		for _, f := range p.Syntax {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				fn, _ := p.TypesInfo.Defs[fd.Name].(*types.Func)
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					id, ok := n.(*ast.Ident)
					if !ok {
						return true
					}
					obj := p.TypesInfo.Uses[id]
					if obj == nil || obj.Pkg() == nil || obj.Pkg().Path() != configPath {
						return true
					}
					if p.PkgPath == configPath {
						readsOf[fn] = append(readsOf[fn], obj)
					} else {
						outside[obj] = true
					}
					return true
				})
			}
		}
	}
	if cfgPkg == nil {
		t.Fatal("package config not loaded")
	}
	// A config function read from outside acts, and so does what it reads,
	// unless it only parses, logs or refuses.
	acting := maps.Clone(outside)
	for changed := true; changed; {
		changed = false
		for fn, objs := range readsOf {
			f, ok := fn.(*types.Func)
			if !ok || !acting[fn] || notActing(f) {
				continue
			}
			for _, o := range objs {
				if !acting[o] {
					acting[o] = true
					changed = true
				}
			}
		}
	}
	// Name the acting fields by their path from Config.
	out := map[string]bool{}
	var walk func(st *types.Struct, prefix string)
	walk = func(st *types.Struct, prefix string) {
		for i := range st.NumFields() {
			f := st.Field(i)
			path := prefix + f.Name()
			if inner, ok := f.Type().Underlying().(*types.Struct); ok {
				walk(inner, path+".")
			}
			if acting[f] {
				out[path] = true
			}
		}
	}
	walk(cfgPkg.Scope().Lookup("Config").Type().Underlying().(*types.Struct), "")
	if len(out) == 0 {
		t.Fatalf("no Config field is read outside %s: the analysis is broken", configPath)
	}
	return out
}
