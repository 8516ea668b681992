// Package helm tests the Helm chart in syncgate/: it renders the chart with
// helm itself (the version pinned in deploy/tools/go.mod), decodes every
// rendered object strictly into the Kubernetes API types, and checks what an
// operator relies on — probes, security context, replicas and Redis, the
// autoscaler, the disruption budget, the network policy, and that secrets
// only ever reach the gateway as mounted files.
package helm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/syncgate/syncgate/internal/config"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	chartDir    = "syncgate"
	release     = "gw"
	namespace   = "syncgate"
	kubeVersion = "1.31.0"
	filesDir    = "/etc/syncgate"
)

// helmBin is the helm executable, built by TestMain.
var helmBin string

func TestMain(m *testing.M) {
	// helm is pinned as a tool of its own module, deploy/tools, so it is built
	// from exactly its release's dependencies. go tool -n builds it once (the
	// go command caches it) and prints where the executable is.
	cmd := exec.Command("go", "tool", "-n", "helm")
	cmd.Dir = "../tools"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Stderr.Write(ee.Stderr)
		}
		fmt.Fprintln(os.Stderr, "building helm:", err)
		os.Exit(1)
	}
	helmBin = strings.TrimSpace(string(out))
	os.Exit(m.Run())
}

// helm runs the helm command in this directory and returns its standard
// output, or an error carrying its standard error.
func helm(args ...string) (string, error) {
	cmd := exec.Command(helmBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// objects is one rendering of the chart, each object decoded strictly into
// its API type. The chart renders each kind at most once.
type objects struct {
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
	ServiceAccount *corev1.ServiceAccount
	ConfigMap      *corev1.ConfigMap
	HPA            *autoscalingv2.HorizontalPodAutoscaler
	PDB            *policyv1.PodDisruptionBudget
	NetworkPolicy  *networkingv1.NetworkPolicy
	Ingress        *networkingv1.Ingress
	ServiceMonitor *monitoringv1.ServiceMonitor
}

// render runs helm template with the values files and --set arguments and
// decodes what it prints.
func render(t *testing.T, valuesFiles []string, set ...string) (*objects, error) {
	t.Helper()
	args := []string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	for _, f := range valuesFiles {
		args = append(args, "--values", f)
	}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := helm(args...)
	if err != nil {
		return nil, err
	}
	objs, err := decode(out)
	if err != nil {
		t.Fatalf("decoding the rendered chart: %v\n%s", err, out)
	}
	return objs, nil
}

// mustRender is render for values that must render.
func mustRender(t *testing.T, valuesFiles []string, set ...string) *objects {
	t.Helper()
	objs, err := render(t, valuesFiles, set...)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// decode splits helm's output into documents and decodes each into the type
// its apiVersion and kind name, refusing unknown fields, duplicate fields,
// unexpected kinds and repeated kinds.
func decode(manifest string) (*objects, error) {
	objs := &objects{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, err
		}
		if head.Kind == "" && strings.TrimSpace(stripComments(string(doc))) == "" {
			continue
		}
		var target any
		switch head.APIVersion + " " + head.Kind {
		case "apps/v1 Deployment":
			target = setOnce(&objs.Deployment)
		case "v1 Service":
			target = setOnce(&objs.Service)
		case "v1 ServiceAccount":
			target = setOnce(&objs.ServiceAccount)
		case "v1 ConfigMap":
			target = setOnce(&objs.ConfigMap)
		case "autoscaling/v2 HorizontalPodAutoscaler":
			target = setOnce(&objs.HPA)
		case "policy/v1 PodDisruptionBudget":
			target = setOnce(&objs.PDB)
		case "networking.k8s.io/v1 NetworkPolicy":
			target = setOnce(&objs.NetworkPolicy)
		case "networking.k8s.io/v1 Ingress":
			target = setOnce(&objs.Ingress)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			target = setOnce(&objs.ServiceMonitor)
		default:
			return nil, fmt.Errorf("unexpected object %s %s:\n%s", head.APIVersion, head.Kind, doc)
		}
		if target == nil {
			return nil, fmt.Errorf("%s %s rendered twice", head.APIVersion, head.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, target); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", head.Kind, err, doc)
		}
	}
}

// setOnce allocates *p and returns it, or returns nil when *p is already set.
func setOnce[T any](p **T) any {
	if *p != nil {
		return nil
	}
	*p = new(T)
	return *p
}

func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// container returns the gateway's container.
func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "syncgate" {
		t.Fatalf("containers = %v, want one named syncgate", cs)
	}
	return cs[0]
}

// checkInvariants checks what every rendering must hold, whatever the values.
func checkInvariants(t *testing.T, o *objects) {
	t.Helper()
	if o.Deployment == nil || o.Service == nil || o.ConfigMap == nil {
		t.Fatalf("want a Deployment, a Service and a ConfigMap; got %+v", o)
	}
	pod := o.Deployment.Spec.Template
	podLabels := labels.Set(pod.Labels)
	sel := o.Deployment.Spec.Selector
	if sel == nil || !labels.SelectorFromSet(sel.MatchLabels).Matches(podLabels) {
		t.Errorf("Deployment selector %v does not select its pods %v", sel, pod.Labels)
	}
	c := container(t, o.Deployment)
	if !slices.Equal(c.Args, []string{"serve"}) || len(c.Command) != 0 {
		t.Errorf("container runs command %v args %v, want the image's entrypoint with serve", c.Command, c.Args)
	}

	// Probes: liveness and startup on /healthz, readiness on /readyz, all on
	// the gateway's port.
	var httpPort *corev1.ContainerPort
	for i, p := range c.Ports {
		if p.Name == "http" {
			httpPort = &c.Ports[i]
		}
	}
	if httpPort == nil || httpPort.ContainerPort != 8080 {
		t.Fatalf("container ports %v: want http on 8080 (SYNCGATE_LISTEN_ADDR :8080)", c.Ports)
	}
	for name, want := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"startup":   {c.StartupProbe, "/healthz"},
		"liveness":  {c.LivenessProbe, "/healthz"},
		"readiness": {c.ReadinessProbe, "/readyz"},
	} {
		p := want.probe
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe = %+v, want an HTTP GET", name, p)
			continue
		}
		if p.HTTPGet.Path != want.path || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe GET %s on port %s, want %s on http", name, p.HTTPGet.Path, p.HTTPGet.Port.String(), want.path)
		}
	}
	if c.StartupProbe != nil && c.StartupProbe.FailureThreshold*c.StartupProbe.PeriodSeconds < 30 {
		t.Errorf("startup probe allows %d s, want at least 30", c.StartupProbe.FailureThreshold*c.StartupProbe.PeriodSeconds)
	}

	// Security: non-root (the image's uid), read-only root, nothing gained,
	// every capability dropped, the runtime's default seccomp profile.
	psc, sc := pod.Spec.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatalf("pod securityContext %v, container securityContext %v: want both", psc, sc)
	}
	if !isTrue(psc.RunAsNonRoot) || !isTrue(sc.RunAsNonRoot) {
		t.Error("runAsNonRoot is not true on the pod and the container")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("pod runAsUser = %v, want 65532 (the image's user)", psc.RunAsUser)
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities = %+v, want ALL dropped and none added", sc.Capabilities)
	}
	for where, sp := range map[string]*corev1.SeccompProfile{"pod": psc.SeccompProfile, "container": sc.SeccompProfile} {
		if sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s seccompProfile = %+v, want RuntimeDefault", where, sp)
		}
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("container is privileged")
	}

	// The one writable place, /tmp, is an emptyDir.
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	tmpOK := false
	for _, m := range c.VolumeMounts {
		if m.MountPath == "/tmp" && volumes[m.Name].EmptyDir != nil {
			tmpOK = true
		}
	}
	if !tmpOK {
		t.Errorf("no emptyDir mounted at /tmp: mounts %v", c.VolumeMounts)
	}

	// Resources: requests for the scheduler and the autoscaler, a memory limit.
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v, want cpu and memory requests and a memory limit", c.Resources)
	}

	// Replicas spread across nodes.
	spreadOK := false
	for _, tsc := range pod.Spec.TopologySpreadConstraints {
		if tsc.TopologyKey == "kubernetes.io/hostname" && tsc.LabelSelector != nil &&
			labels.SelectorFromSet(tsc.LabelSelector.MatchLabels).Matches(podLabels) {
			spreadOK = true
		}
	}
	if !spreadOK {
		t.Errorf("no topology spread across nodes selecting the pods: %+v", pod.Spec.TopologySpreadConstraints)
	}

	// The gateway needs no Kubernetes API token.
	if isTrue(pod.Spec.AutomountServiceAccountToken) {
		t.Error("the pods mount a Kubernetes API token")
	}

	// Service: selects the pods, targets the gateway's port.
	if !labels.SelectorFromSet(o.Service.Spec.Selector).Matches(podLabels) || len(o.Service.Spec.Selector) == 0 {
		t.Errorf("Service selector %v does not select the pods %v", o.Service.Spec.Selector, pod.Labels)
	}
	for _, p := range o.Service.Spec.Ports {
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.String() }) {
			t.Errorf("Service port %s targets %s, which the container does not name", p.Name, p.TargetPort.String())
		}
	}

	if o.HPA != nil {
		ref := o.HPA.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name != o.Deployment.Name {
			t.Errorf("HPA scales %+v, want the Deployment %s", ref, o.Deployment.Name)
		}
		if o.Deployment.Spec.Replicas != nil {
			t.Errorf("Deployment sets replicas %d while an HPA owns the count: every upgrade would reset it", *o.Deployment.Spec.Replicas)
		}
	}
	if o.PDB != nil && (o.PDB.Spec.Selector == nil || !labels.SelectorFromSet(o.PDB.Spec.Selector.MatchLabels).Matches(podLabels)) {
		t.Errorf("PDB selector %v does not select the pods", o.PDB.Spec.Selector)
	}
	if np := o.NetworkPolicy; np != nil {
		if !labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels).Matches(podLabels) || len(np.Spec.PodSelector.MatchLabels) == 0 {
			t.Errorf("NetworkPolicy selects %v, not the pods", np.Spec.PodSelector)
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("NetworkPolicy policyTypes = %v, want Ingress and Egress", np.Spec.PolicyTypes)
		}
		if !egressAllows(np, corev1.ProtocolUDP, 53) || !egressAllows(np, corev1.ProtocolTCP, 53) {
			t.Error("NetworkPolicy does not let the pods reach DNS on 53/UDP and 53/TCP")
		}
		if !egressAllows(np, corev1.ProtocolTCP, 443) {
			t.Error("NetworkPolicy does not let the pods reach Graph, the login host or a JWKS URL on 443")
		}
		for _, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.NamespaceSelector == nil || (len(peer.NamespaceSelector.MatchLabels) == 0 && len(peer.NamespaceSelector.MatchExpressions) == 0) {
					t.Errorf("NetworkPolicy admits %+v: want callers from labelled namespaces only", peer)
				}
			}
		}
	}

	checkSecretsOnlyAsFiles(t, o)
}

// egressAllows reports whether some egress rule of np opens protocol/port.
func egressAllows(np *networkingv1.NetworkPolicy, protocol corev1.Protocol, port int) bool {
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			if proto == protocol && p.Port != nil && p.Port.IntValue() == port {
				return true
			}
		}
	}
	return false
}

func isTrue(b *bool) bool { return b != nil && *b }

// checkSecretsOnlyAsFiles checks that every setting the chart passes is one
// the gateway reads, that no secret setting is passed as a value (only its
// _FILE variant, pointing into a mounted volume), and that nothing reaches
// the process environment from a Secret.
func checkSecretsOnlyAsFiles(t *testing.T, o *objects) {
	t.Helper()
	known := map[string]config.VarDoc{}
	for _, v := range config.Vars() {
		known[v.Name] = v
	}
	c := container(t, o.Deployment)
	env := map[string]string{}
	for k, v := range o.ConfigMap.Data {
		env[k] = v
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			t.Errorf("env %s comes from Secret %s: secrets must be mounted files", e.Name, e.ValueFrom.SecretKeyRef.Name)
		}
		env[e.Name] = e.Value
	}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef != nil {
			t.Errorf("envFrom Secret %s: secrets must be mounted files", ef.SecretRef.Name)
		}
		if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name != o.ConfigMap.Name {
			t.Errorf("envFrom ConfigMap %s is not the chart's", ef.ConfigMapRef.Name)
		}
	}
	if len(o.ConfigMap.BinaryData) > 0 {
		t.Errorf("ConfigMap has binaryData %v", o.ConfigMap.BinaryData)
	}
	mounted := mountedFiles(t, o)
	for name, value := range env {
		if !strings.HasPrefix(name, "SYNCGATE_") && !strings.HasPrefix(name, "OTEL_") {
			if name != "POD_NAME" {
				t.Errorf("the chart sets %s, which is no SYNCGATE_* or OTEL_* setting", name)
			}
			continue
		}
		v, ok := known[name]
		if !ok {
			t.Errorf("the chart sets %s, which the gateway does not read (not in config.Vars)", name)
			continue
		}
		if v.Secret {
			t.Errorf("the chart sets the secret %s as a value; it must set %s%s to a mounted file", name, name, "_FILE")
		}
		// Files the gateway reads come from the projected volume; the audit
		// file, which it writes, has a volume of its own (TestFullValues).
		if strings.HasSuffix(name, "_FILE") && name != "SYNCGATE_AUDIT_FILE" {
			if _, ok := mounted[value]; !ok {
				t.Errorf("%s = %s, which no volume mounts", name, value)
			}
		}
	}
}

// mountedFiles maps the path of every file the container sees from the
// chart's projected volume to where it comes from ("secret name/key" or
// "configMap name/key").
func mountedFiles(t *testing.T, o *objects) map[string]string {
	t.Helper()
	c := container(t, o.Deployment)
	files := map[string]string{}
	for _, v := range o.Deployment.Spec.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		i := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == v.Name })
		if i < 0 {
			t.Errorf("projected volume %s is not mounted", v.Name)
			continue
		}
		if !c.VolumeMounts[i].ReadOnly {
			t.Errorf("volume %s is mounted writable", v.Name)
		}
		for _, s := range v.Projected.Sources {
			switch {
			case s.Secret != nil:
				for _, it := range s.Secret.Items {
					files[filepath.Join(c.VolumeMounts[i].MountPath, it.Path)] = "secret " + s.Secret.Name + "/" + it.Key
				}
			case s.ConfigMap != nil:
				for _, it := range s.ConfigMap.Items {
					files[filepath.Join(c.VolumeMounts[i].MountPath, it.Path)] = "configMap " + s.ConfigMap.Name + "/" + it.Key
				}
			default:
				t.Errorf("projected volume %s has a source that is neither a Secret nor a ConfigMap: %+v", v.Name, s)
			}
		}
	}
	return files
}

// loadConfig runs the gateway's own configuration loading on what the pod
// would get: the ConfigMap as its environment, and for each mounted file the
// content given (or a placeholder). Reading a file the pod does not mount
// fails.
func loadConfig(t *testing.T, o *objects, contents map[string]string) (*config.Config, error) {
	t.Helper()
	mounted := mountedFiles(t, o)
	env := maps.Clone(o.ConfigMap.Data)
	for _, e := range container(t, o.Deployment).Env {
		// What the kubelet expands: $(POD_NAME), from the pod's name.
		env[e.Name] = strings.ReplaceAll(e.Value, "$(POD_NAME)", release+"-syncgate-7d9f8b6c4d-x2x9q")
	}
	getenv := func(name string) string { return env[name] }
	readFile := func(name string) ([]byte, error) {
		if _, ok := mounted[name]; !ok {
			return nil, fmt.Errorf("%s: not mounted in the pod", name)
		}
		if s, ok := contents[name]; ok {
			return []byte(s), nil
		}
		return []byte("placeholder\n"), nil
	}
	return config.Load(getenv, config.WithReadFile(readFile))
}

// secretContents are plausible contents of the mounted secret files, for
// settings the gateway validates.
var secretContents = map[string]string{
	filesDir + "/secrets/redis-url":       "rediss://:not-a-real-password@redis.example.com:6380/0\n",
	filesDir + "/secrets/jwt-hmac-secret": "0123456789abcdef0123456789abcdef\n",
}

func TestMinimalValues(t *testing.T) {
	o := mustRender(t, []string{"syncgate/ci/minimal-values.yaml"})
	checkInvariants(t, o)

	// Two replicas by default, owned by the autoscaler.
	if o.HPA == nil {
		t.Fatal("no HorizontalPodAutoscaler by default")
	}
	if o.HPA.Spec.MinReplicas == nil || *o.HPA.Spec.MinReplicas != 2 || o.HPA.Spec.MaxReplicas != 10 {
		t.Errorf("HPA replicas %v..%d, want 2..10", o.HPA.Spec.MinReplicas, o.HPA.Spec.MaxReplicas)
	}
	if m := o.HPA.Spec.Metrics; len(m) != 1 || m[0].Resource == nil || m[0].Resource.Name != corev1.ResourceCPU ||
		m[0].Resource.Target.AverageUtilization == nil || *m[0].Resource.Target.AverageUtilization != 70 {
		t.Errorf("HPA metrics = %+v, want CPU at 70%% of the request", m)
	}
	if o.PDB == nil || o.PDB.Spec.MinAvailable == nil || o.PDB.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PDB = %+v, want minAvailable 1", o.PDB)
	}
	if o.NetworkPolicy == nil {
		t.Error("no NetworkPolicy by default")
	} else if !egressAllows(o.NetworkPolicy, corev1.ProtocolTCP, 6379) {
		t.Error("NetworkPolicy does not let the pods reach Redis on 6379")
	}
	if o.Ingress != nil || o.ServiceMonitor != nil {
		t.Error("Ingress or ServiceMonitor rendered without being asked for")
	}
	// Metrics on a port of their own: the API port (which an Ingress exposes)
	// does not answer /metrics.
	if o.ConfigMap.Data["SYNCGATE_METRICS_ADDR"] != ":9090" {
		t.Errorf("SYNCGATE_METRICS_ADDR = %q, want :9090 by default", o.ConfigMap.Data["SYNCGATE_METRICS_ADDR"])
	}
	if o.Deployment.Spec.Template.Spec.Containers[0].Image != "ghcr.io/syncgate/syncgate:v0.1.0" {
		t.Errorf("image = %s, want the chart's appVersion as the tag", o.Deployment.Spec.Template.Spec.Containers[0].Image)
	}

	cfg, err := loadConfig(t, o, secretContents)
	if err != nil {
		t.Fatalf("the gateway refuses the configuration the chart gives it: %v", err)
	}
	if cfg.RedisURL.Reveal() != "rediss://:not-a-real-password@redis.example.com:6380/0" {
		t.Errorf("SYNCGATE_REDIS_URL read as %q, want the mounted Secret's URL", cfg.RedisURL.Reveal())
	}
	if cfg.ListenAddr != ":8080" || cfg.JWT.JWKSURL == "" || cfg.ShutdownGrace != cfg.WriteTimeout {
		t.Errorf("config = listen %s, JWKS %q, grace %s", cfg.ListenAddr, cfg.JWT.JWKSURL, cfg.ShutdownGrace)
	}
	// Tracing is off unless asked for, and no collector port is opened.
	if cfg.Tracing.Endpoint != "" {
		t.Errorf("tracing endpoint %q without config.tracing", cfg.Tracing.Endpoint)
	}
	for _, port := range []int{4317, 4318, 80} {
		if egressAllows(o.NetworkPolicy, corev1.ProtocolTCP, port) {
			t.Errorf("NetworkPolicy opens %d/TCP without tracing", port)
		}
	}
	// Kubernetes waits for the grace period, the preStop sleep and some
	// slack before it kills the pod.
	if g := o.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g <= 60+5 {
		t.Errorf("terminationGracePeriodSeconds = %v, want more than shutdown grace plus preStop sleep (65 s)", g)
	}
	pre := o.Deployment.Spec.Template.Spec.Containers[0].Lifecycle
	if pre == nil || pre.PreStop == nil || pre.PreStop.Sleep == nil || pre.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop = %+v, want a 5 s sleep on Kubernetes %s", pre, kubeVersion)
	}
}

func TestFullValues(t *testing.T) {
	o := mustRender(t, []string{"syncgate/ci/full-values.yaml"})
	checkInvariants(t, o)
	c := container(t, o.Deployment)

	if c.Image != "registry.example.com/platform/syncgate:v1.2.3" {
		t.Errorf("image = %s", c.Image)
	}
	// The gateway serves HTTPS itself: the probes say so.
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		if p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("probe %s uses %s with TLS on the gateway, want HTTPS", p.HTTPGet.Path, p.HTTPGet.Scheme)
		}
	}
	if o.HPA == nil || *o.HPA.Spec.MinReplicas != 3 || o.HPA.Spec.MaxReplicas != 12 || len(o.HPA.Spec.Metrics) != 2 {
		t.Errorf("HPA = %+v, want 3..12 on CPU and memory", o.HPA)
	}
	if o.PDB == nil || o.PDB.Spec.MinAvailable.IntValue() != 2 {
		t.Errorf("PDB = %+v, want minAvailable 2", o.PDB)
	}
	if !egressAllows(o.NetworkPolicy, corev1.ProtocolTCP, 4443) {
		t.Error("NetworkPolicy does not let the pods reach the Veeam server on 4443")
	}

	// Ingress: to the Service's http port.
	if o.Ingress == nil {
		t.Fatal("no Ingress with ingress.enabled")
	}
	for _, rule := range o.Ingress.Spec.Rules {
		for _, p := range rule.HTTP.Paths {
			if b := p.Backend.Service; b == nil || b.Name != o.Service.Name || b.Port.Name != "http" {
				t.Errorf("Ingress %s%s goes to %+v, want the Service's http port", rule.Host, p.Path, p.Backend)
			}
		}
	}

	// Metrics: the gateway listens where the container, the Service and the
	// ServiceMonitor say.
	if o.ServiceMonitor == nil {
		t.Fatal("no ServiceMonitor with metrics.serviceMonitor.enabled")
	}
	if o.ConfigMap.Data["SYNCGATE_METRICS_ADDR"] != ":9090" {
		t.Errorf("SYNCGATE_METRICS_ADDR = %q, want :9090", o.ConfigMap.Data["SYNCGATE_METRICS_ADDR"])
	}
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "metrics" && p.ContainerPort == 9090 }) {
		t.Errorf("container ports %v: want metrics on 9090", c.Ports)
	}
	sm := o.ServiceMonitor
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints = %+v, want /metrics on the port named metrics", sm.Spec.Endpoints)
	}
	if !slices.ContainsFunc(o.Service.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "metrics" }) {
		t.Error("the Service has no port named metrics for the ServiceMonitor")
	}
	if !labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(o.Service.Labels)) {
		t.Errorf("ServiceMonitor selects %v, not the Service %v", sm.Spec.Selector.MatchLabels, o.Service.Labels)
	}
	if sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels = %v, want the configured release=prometheus", sm.Labels)
	}

	// Every file the configuration names is mounted from the Secret or
	// ConfigMap the values name, and the gateway accepts the configuration.
	mounted := mountedFiles(t, o)
	for env, want := range map[string]string{
		"SYNCGATE_TLS_KEY_FILE":                           "secret syncgate-tls/tls.key",
		"SYNCGATE_JWT_PUBLIC_KEY_FILE":                    "configMap syncgate-token-key/signing.pem",
		"SYNCGATE_VEEAM_PASSWORD_FILE":                    "secret syncgate-veeam/password",
		"SYNCGATE_VEEAM_CA_FILE":                          "configMap syncgate-veeam-ca/ca.crt",
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE":          "secret syncgate-graph-cert/client.pfx",
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD_FILE": "secret syncgate-graph-cert/password",
		"SYNCGATE_GRAPH_CA_FILE":                          "configMap syncgate-proxy-ca/ca.crt",
		"SYNCGATE_REDIS_URL_FILE":                         "secret syncgate-redis/redis-url",
	} {
		if got := mounted[o.ConfigMap.Data[env]]; got != want {
			t.Errorf("%s = %q, mounted from %q, want %s", env, o.ConfigMap.Data[env], got, want)
		}
	}
	cfg, err := loadConfig(t, o, secretContents)
	if err != nil {
		t.Fatalf("the gateway refuses the configuration the chart gives it: %v", err)
	}
	if cfg.Veeam.Password.Reveal() != "placeholder" || cfg.Graph.Credential != config.CredentialCertificate ||
		cfg.StartCooldown.String() != "2m0s" || cfg.RateLimit != "300/m" || cfg.Scopes.SyncJobsStart != "Sync.Start" {
		t.Errorf("config read from the chart = %+v", cfg)
	}
	// The settings of the replicas behaving as one (#10), of pause and
	// restart (#12) and of tracing (#11) reach the gateway as written.
	if cfg.RedisURL.Reveal() != "rediss://:not-a-real-password@redis.example.com:6380/0" {
		t.Errorf("SYNCGATE_REDIS_URL read as %q, want the mounted Secret's URL", cfg.RedisURL.Reveal())
	}
	if cfg.IdempotencyTTL.String() != "6h0m0s" || cfg.BreakerFailures != 8 || cfg.BreakerOpen.String() != "45s" ||
		!slices.Equal(cfg.CORSOrigins, []string{"https://portal.example.com"}) || cfg.Scopes.SyncJobsManage != "Sync.Manage" {
		t.Errorf("idempotency TTL %s, breaker %d/%s, CORS %v, manage scope %q: want 6h, 8/45s, [https://portal.example.com], Sync.Manage",
			cfg.IdempotencyTTL, cfg.BreakerFailures, cfg.BreakerOpen, cfg.CORSOrigins, cfg.Scopes.SyncJobsManage)
	}
	if cfg.Tracing.Endpoint != "http://otel-collector.observability:4318/v1/traces" || cfg.Tracing.Protocol != "http/protobuf" {
		t.Errorf("tracing = %+v, want http/protobuf to http://otel-collector.observability:4318/v1/traces", cfg.Tracing)
	}
	// The collector is reachable, and only in the namespace the values name.
	collectorRule := false
	for _, rule := range o.NetworkPolicy.Spec.Egress {
		if slices.ContainsFunc(rule.Ports, func(p networkingv1.NetworkPolicyPort) bool { return p.Port != nil && p.Port.IntValue() == 4318 }) {
			collectorRule = len(rule.To) == 1 && rule.To[0].NamespaceSelector != nil &&
				rule.To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "observability"
		}
	}
	if !collectorRule {
		t.Errorf("NetworkPolicy egress %+v: want 4318/TCP to the observability namespace (the OTLP collector)", o.NetworkPolicy.Spec.Egress)
	}
	if cfg.AuditFile != "/var/lib/syncgate/audit/gw-syncgate-7d9f8b6c4d-x2x9q.jsonl" {
		t.Errorf("SYNCGATE_AUDIT_FILE read as %q, want a file of its own per pod on the audit volume", cfg.AuditFile)
	}
	auditMounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range o.Deployment.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && m.MountPath == "/var/lib/syncgate/audit" && !m.ReadOnly &&
				v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "syncgate-audit" {
				auditMounted = true
			}
		}
	}
	if !auditMounted {
		t.Error("the audit claim syncgate-audit is not mounted writable at /var/lib/syncgate/audit")
	}
	if cfg.MaxConnections != 2000 || cfg.JWT.CacheSize != 500 || cfg.JWT.MaxLifetime.String() != "2h0m0s" {
		t.Errorf("max connections %d, JWT cache size %d, max lifetime %s: want 2000, 500, 2h", cfg.MaxConnections, cfg.JWT.CacheSize, cfg.JWT.MaxLifetime)
	}
	if g := o.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 30+10+5 {
		t.Errorf("terminationGracePeriodSeconds = %v, want 45 (grace 30 + preStop 10 + 5)", g)
	}
}

// The three examples the README walks through render, and the gateway
// accepts what each gives it and starts with it today.
func TestExamples(t *testing.T) {
	for _, name := range []string{"veeam", "graph-certificate", "graph-workload-identity"} {
		t.Run(name, func(t *testing.T) {
			o := mustRender(t, []string{"examples/" + name + ".yaml"})
			checkInvariants(t, o)
			cfg, err := loadConfig(t, o, secretContents)
			if err != nil {
				t.Fatalf("the gateway refuses the configuration the chart gives it: %v", err)
			}
			// Entra ID's issuer is enough: the keys come from its discovery document.
			if !cfg.JWT.Discovery || cfg.JWT.JWKSURL != "" {
				t.Errorf("JWT discovery %v, JWKS URL %q: want discovery from the issuer alone", cfg.JWT.Discovery, cfg.JWT.JWKSURL)
			}
			switch name {
			case "veeam":
				if !cfg.Veeam.Enabled() || cfg.Graph.Enabled() {
					t.Errorf("Veeam enabled %v, Graph enabled %v; want Veeam only", cfg.Veeam.Enabled(), cfg.Graph.Enabled())
				}
			case "graph-certificate":
				if cfg.Graph.Credential != config.CredentialCertificate || cfg.Veeam.Enabled() {
					t.Errorf("Graph credential %q, Veeam enabled %v", cfg.Graph.Credential, cfg.Veeam.Enabled())
				}
			case "graph-workload-identity":
				if cfg.Graph.Credential != config.CredentialWorkloadIdentity {
					t.Errorf("Graph credential %q, want workload-identity", cfg.Graph.Credential)
				}
				// What Azure's workload identity webhook looks for.
				if o.Deployment.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
					t.Error("pods are not labelled azure.workload.identity/use=true")
				}
				if o.ServiceAccount == nil || o.ServiceAccount.Annotations["azure.workload.identity/client-id"] != "66666666-7777-8888-9999-000000000000" {
					t.Errorf("ServiceAccount = %+v, want the client-id annotation", o.ServiceAccount)
				}
				if sa := o.Deployment.Spec.Template.Spec.ServiceAccountName; sa != o.ServiceAccount.Name {
					t.Errorf("pods run as ServiceAccount %s, not the annotated %s", sa, o.ServiceAccount.Name)
				}
				if files := mountedFiles(t, o); len(files) != 0 {
					t.Errorf("files mounted: %v, want none (no Graph secret)", files)
				}
			}
		})
	}
}

// More than one replica without Redis is refused, saying why; one replica
// without Redis renders, with neither autoscaler nor disruption budget.
func TestReplicasNeedRedis(t *testing.T) {
	noRedis := "redis.url.secretName="
	for name, set := range map[string][]string{
		"default autoscaler": {noRedis},
		"two replicas":       {noRedis, "autoscaling.enabled=false", "replicaCount=2"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, []string{"syncgate/ci/minimal-values.yaml"}, set...)
			if err == nil {
				t.Fatal("rendered more than one replica without Redis")
			}
			for _, want := range []string{"needs Redis", "redis.url.secretName", "cooldowns", "Idempotency-Key answers", "would start the same sync or job again"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}

	o := mustRender(t, []string{"syncgate/ci/minimal-values.yaml"}, noRedis, "autoscaling.enabled=false", "replicaCount=1")
	checkInvariants(t, o)
	if r := o.Deployment.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("replicas = %v, want 1", r)
	}
	if o.HPA != nil || o.PDB != nil {
		t.Error("one replica renders an HPA or a PDB (a PDB of one would block every node drain)")
	}
	if egressAllows(o.NetworkPolicy, corev1.ProtocolTCP, 6379) {
		t.Error("NetworkPolicy opens Redis's port without Redis")
	}
	if _, ok := o.ConfigMap.Data["SYNCGATE_REDIS_URL_FILE"]; ok {
		t.Error("SYNCGATE_REDIS_URL_FILE set without Redis")
	}
	if _, err := loadConfig(t, o, secretContents); err != nil {
		t.Fatalf("the gateway refuses the configuration the chart gives it: %v", err)
	}

	o = mustRender(t, []string{"syncgate/ci/minimal-values.yaml"}, "autoscaling.enabled=false")
	if r := o.Deployment.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("replicas without the autoscaler = %v, want 2 (replicaCount's default)", r)
	}
}

// Values the gateway could not run with are refused before anything
// reaches the cluster, naming the value.
func TestRefusedValues(t *testing.T) {
	minimal := []string{"syncgate/ci/minimal-values.yaml"}
	for _, tc := range []struct {
		name  string
		files []string
		set   []string
		want  string
	}{
		{"chart defaults", nil, nil, "config.jwt.issuers is required"},
		{"no audience", minimal, []string{"config.jwt.audiences=null"}, "config.jwt.audiences is required"},
		{"two key sources", minimal, []string{"config.jwt.hmacSecret.secretName=hmac"}, "exactly one token key source"},
		{"discovery and a JWKS URL", minimal, []string{"config.jwt.discovery=true"}, "exactly one token key source"},
		{"unknown tracing protocol", minimal, []string{"config.tracing.endpoint=http://otel:4318", "config.tracing.protocol=http/json"}, "protocol"},
		{"tracing endpoint not a URL", minimal, []string{"config.tracing.endpoint=otel:4318"}, "endpoint"},
		{"number for the idempotency TTL", minimal, []string{"config.idempotencyTTL=0"}, "idempotencyTTL"},
		{"veeam without password", minimal, []string{"config.veeam.url=https://vb365.example.com:4443", "config.veeam.username=svc"}, "config.veeam.password.secretName"},
		{"certificate without a certificate", minimal, []string{"config.graph.credential=certificate"}, "config.graph.clientCertificate.secretName"},
		{"client secret without the app's ids", minimal, []string{"config.graph.credential=secret", "config.graph.clientSecret.secretName=graph"}, "config.graph.tenantId and config.graph.clientId"},
		{"certificate without the client id", minimal, []string{"config.graph.credential=certificate", "config.graph.clientCertificate.secretName=cert",
			"config.graph.tenantId=contoso.onmicrosoft.com"}, "config.graph.tenantId and config.graph.clientId"},
		{"service monitor without metrics", minimal, []string{"metrics.serviceMonitor.enabled=true", "metrics.enabled=false"}, "needs metrics.enabled"},
		// The schema: a misspelt value is an error, not silently ignored.
		{"misspelt value", minimal, []string{"config.jwt.issuer=x"}, "issuer"},
		// A duration given as a number would read as unset (the gateway's
		// default), not as what was written.
		{"number for a duration", minimal, []string{"config.startCooldown=0"}, "startCooldown"},
		// A secret cannot be given as a value.
		{"secret as a value", minimal, []string{"config.veeam.password=hunter2"}, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.files, tc.set...)
			if err == nil {
				t.Fatal("rendered")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not mention %q:\n%v", tc.want, err)
			}
		})
	}
}

// Every setting the gateway reads is offered by the values, unless it is
// listed here with the reason it is not: a new setting must be added to the
// chart (values.yaml, values.schema.json, _helpers.tpl) or here.
var notOffered = map[string]string{
	"SYNCGATE_JWT_HMAC_SECRET":                   "a secret: its _FILE form is offered",
	"SYNCGATE_VEEAM_PASSWORD":                    "a secret: its _FILE form is offered",
	"SYNCGATE_GRAPH_CLIENT_SECRET":               "a secret: its _FILE form is offered",
	"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD": "a secret: its _FILE form is offered",
	"SYNCGATE_REDIS_URL":                         "may carry a password: its _FILE form is offered",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":         "config.tracing.endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) says the same",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL":         "config.tracing.protocol (OTEL_EXPORTER_OTLP_PROTOCOL) says the same",
	"OTEL_TRACES_EXPORTER":                       "an empty config.tracing.endpoint turns tracing off",
	"OTEL_SDK_DISABLED":                          "an empty config.tracing.endpoint turns tracing off",
}

func TestEverySettingOffered(t *testing.T) {
	minimal := []string{"syncgate/ci/minimal-values.yaml"}
	set := map[string]bool{}
	for _, r := range []struct {
		files []string
		set   []string
	}{
		{[]string{"syncgate/ci/full-values.yaml"}, nil},
		{minimal, []string{"config.jwt.discovery=true", "config.jwt.jwksURL="}},
		{minimal, []string{"config.jwt.jwksURL=", "config.jwt.hmacSecret.secretName=hmac"}},
		{minimal, []string{"config.graph.credential=secret", "config.graph.clientSecret.secretName=graph",
			"config.graph.tenantId=contoso.onmicrosoft.com", "config.graph.clientId=66666666-7777-8888-9999-000000000000",
			"config.graph.authorityURL=https://login.example.com", "config.graph.baseURL=https://graph.example.com",
			"config.graph.scope=https://graph.example.com/.default",
			"config.veeam.url=https://vb365.example.com:4443", "config.veeam.username=svc", "config.veeam.password.secretName=veeam",
			"config.veeam.insecureSkipVerify=true"}},
	} {
		o := mustRender(t, r.files, r.set...)
		if _, err := loadConfig(t, o, secretContents); err != nil {
			t.Errorf("values %v %v: the gateway refuses the configuration: %v", r.files, r.set, err)
		}
		for name := range o.ConfigMap.Data {
			set[name] = true
		}
		for _, e := range container(t, o.Deployment).Env {
			set[e.Name] = true
		}
	}
	for _, v := range config.Vars() {
		if _, ok := notOffered[v.Name]; ok {
			if set[v.Name] {
				t.Errorf("%s is listed as not offered, yet the chart sets it", v.Name)
			}
			continue
		}
		if !set[v.Name] {
			t.Errorf("the gateway reads %s, which no value of the chart sets", v.Name)
		}
	}
}

// helm lint, strict (warnings fail), with the minimal and the full values.
func TestLint(t *testing.T) {
	for _, values := range []string{"syncgate/ci/minimal-values.yaml", "syncgate/ci/full-values.yaml"} {
		out, err := helm("lint", chartDir, "--strict", "--kube-version", kubeVersion, "--values", values)
		if err != nil {
			t.Errorf("lint with %s: %v", values, err)
		} else if !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("lint with %s:\n%s", values, out)
		}
	}
}

// The chart's version and appVersion are semantic versions, the appVersion
// a tag the image is pushed under (v-prefixed, as git tags are).
func TestChartVersion(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatal(err)
	}
	if !isSemver(chart.Version) || !strings.HasPrefix(chart.AppVersion, "v") || !isSemver(chart.AppVersion[1:]) {
		t.Errorf("Chart.yaml version %q appVersion %q: want X.Y.Z and vX.Y.Z", chart.Version, chart.AppVersion)
	}
}

func isSemver(s string) bool {
	core, _, _ := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}
