{{/* Names and labels. */}}
{{- define "syncgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "syncgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "syncgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "syncgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "syncgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "syncgate.selectorLabels" . }}
app.kubernetes.io/version: {{ include "syncgate.imageTag" . | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: syncgate
{{- end }}

{{- define "syncgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "syncgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "syncgate.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "syncgate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "syncgate.imageTag" .) }}
{{- end }}
{{- end }}

{{/* The most replicas that can run at once. */}}
{{- define "syncgate.maxReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.maxReplicas | int }}{{ else }}{{ .Values.replicaCount | int }}{{ end }}
{{- end }}

{{/* The fewest replicas that run (outside of a rollout). */}}
{{- define "syncgate.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas | int }}{{ else }}{{ .Values.replicaCount | int }}{{ end }}
{{- end }}

{{- define "syncgate.workloadIdentity" -}}
{{- if eq .Values.config.graph.credential "workload-identity" }}true{{ end }}
{{- end }}

{{/*
Where the files the gateway reads are mounted: one read-only projected volume
of the referenced Secrets and ConfigMaps.
*/}}
{{- define "syncgate.filesDir" -}}/etc/syncgate{{- end }}

{{/*
The projected volume's sources: a list of (kind, name, key, path) for every
Secret key and ConfigMap key the values reference, as YAML.
*/}}
{{- define "syncgate.fileRefs" -}}
{{- $c := .Values.config }}
{{- $refs := list }}
{{- if $c.tls.secretName }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.tls.secretName "key" "tls.crt" "path" "tls/tls.crt" "env" "SYNCGATE_TLS_CERT_FILE") }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.tls.secretName "key" "tls.key" "path" "tls/tls.key" "env" "SYNCGATE_TLS_KEY_FILE") }}
{{- end }}
{{- if $c.jwt.publicKey.configMapName }}
{{- $refs = append $refs (dict "kind" "configMap" "name" $c.jwt.publicKey.configMapName "key" $c.jwt.publicKey.key "path" "jwt/public.pem" "env" "SYNCGATE_JWT_PUBLIC_KEY_FILE") }}
{{- end }}
{{- if $c.jwt.hmacSecret.secretName }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.jwt.hmacSecret.secretName "key" $c.jwt.hmacSecret.key "path" "secrets/jwt-hmac-secret" "env" "SYNCGATE_JWT_HMAC_SECRET_FILE") }}
{{- end }}
{{- if $c.veeam.password.secretName }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.veeam.password.secretName "key" $c.veeam.password.key "path" "secrets/veeam-password" "env" "SYNCGATE_VEEAM_PASSWORD_FILE") }}
{{- end }}
{{- if $c.veeam.caBundle.configMapName }}
{{- $refs = append $refs (dict "kind" "configMap" "name" $c.veeam.caBundle.configMapName "key" $c.veeam.caBundle.key "path" "ca/veeam.crt" "env" "SYNCGATE_VEEAM_CA_FILE") }}
{{- end }}
{{- if $c.graph.clientSecret.secretName }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.graph.clientSecret.secretName "key" $c.graph.clientSecret.key "path" "secrets/graph-client-secret" "env" "SYNCGATE_GRAPH_CLIENT_SECRET_FILE") }}
{{- end }}
{{- if $c.graph.clientCertificate.secretName }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.graph.clientCertificate.secretName "key" $c.graph.clientCertificate.key "path" "secrets/graph-client-certificate" "env" "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE") }}
{{- if $c.graph.clientCertificate.passwordKey }}
{{- $refs = append $refs (dict "kind" "secret" "name" $c.graph.clientCertificate.secretName "key" $c.graph.clientCertificate.passwordKey "path" "secrets/graph-client-certificate-password" "env" "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD_FILE") }}
{{- end }}
{{- end }}
{{- if $c.graph.caBundle.configMapName }}
{{- $refs = append $refs (dict "kind" "configMap" "name" $c.graph.caBundle.configMapName "key" $c.graph.caBundle.key "path" "ca/graph.crt" "env" "SYNCGATE_GRAPH_CA_FILE") }}
{{- end }}
{{- if .Values.redis.url.secretName }}
{{- $refs = append $refs (dict "kind" "secret" "name" .Values.redis.url.secretName "key" .Values.redis.url.key "path" "secrets/redis-url" "env" "SYNCGATE_REDIS_URL_FILE") }}
{{- end }}
{{- toYaml (dict "refs" $refs) }}
{{- end }}

{{/*
The gateway's non-secret settings, SYNCGATE_* name to value, as YAML: the
ConfigMap's data. A secret setting appears only as its _FILE variant, the path
of the mounted file.
*/}}
{{- define "syncgate.configEnv" -}}
{{- $c := .Values.config }}
{{- $e := dict }}
{{- $_ := set $e "SYNCGATE_LISTEN_ADDR" ":8080" }}
{{- $_ := set $e "SYNCGATE_SHUTDOWN_GRACE" (printf "%ds" ($c.shutdownGraceSeconds | int)) }}
{{- $_ := set $e "SYNCGATE_LOG_LEVEL" $c.logLevel }}
{{- $_ := set $e "SYNCGATE_LOG_FORMAT" $c.logFormat }}
{{- range $name, $value := dict
    "SYNCGATE_START_COOLDOWN" $c.startCooldown
    "SYNCGATE_RETRY_AFTER_BUDGET" $c.retryAfterBudget
    "SYNCGATE_BREAKER_FAILURES" $c.breakerFailures
    "SYNCGATE_BREAKER_OPEN" $c.breakerOpen
    "SYNCGATE_RATE_LIMIT" $c.rateLimit
    "SYNCGATE_IDEMPOTENCY_TTL" $c.idempotencyTTL
    "SYNCGATE_CORS_ORIGINS" (join "," $c.corsOrigins)
    "SYNCGATE_HTTP_READ_HEADER_TIMEOUT" $c.http.readHeaderTimeout
    "SYNCGATE_HTTP_READ_TIMEOUT" $c.http.readTimeout
    "SYNCGATE_HTTP_WRITE_TIMEOUT" $c.http.writeTimeout
    "SYNCGATE_HTTP_IDLE_TIMEOUT" $c.http.idleTimeout
    "SYNCGATE_JWT_ISSUERS" (join "," $c.jwt.issuers)
    "SYNCGATE_JWT_AUDIENCES" (join "," $c.jwt.audiences)
    "SYNCGATE_JWT_JWKS_URL" $c.jwt.jwksURL
    "SYNCGATE_JWT_ALGORITHMS" (join "," $c.jwt.algorithms)
    "SYNCGATE_JWT_LEEWAY" $c.jwt.leeway
    "SYNCGATE_JWT_MAX_LIFETIME" $c.jwt.maxLifetime
    "SYNCGATE_JWT_CACHE_MAX_AGE" $c.jwt.cacheMaxAge
    "SYNCGATE_SCOPE_ORGANIZATIONS_READ" $c.scopes.organizationsRead
    "SYNCGATE_SCOPE_ORGANIZATIONS_SYNC" $c.scopes.organizationsSync
    "SYNCGATE_SCOPE_SYNCJOBS_READ" $c.scopes.syncJobsRead
    "SYNCGATE_SCOPE_SYNCJOBS_START" $c.scopes.syncJobsStart
    "SYNCGATE_SCOPE_SYNCJOBS_MANAGE" $c.scopes.syncJobsManage
    "SYNCGATE_VEEAM_URL" $c.veeam.url
    "SYNCGATE_VEEAM_API_VERSION" $c.veeam.apiVersion
    "SYNCGATE_VEEAM_USERNAME" $c.veeam.username
    "SYNCGATE_VEEAM_TIMEOUT" $c.veeam.timeout
    "SYNCGATE_GRAPH_CREDENTIAL" $c.graph.credential
    "SYNCGATE_GRAPH_TENANT_ID" $c.graph.tenantId
    "SYNCGATE_GRAPH_CLIENT_ID" $c.graph.clientId
    "SYNCGATE_GRAPH_CLOUD" $c.graph.cloud
    "SYNCGATE_GRAPH_AUTHORITY_URL" $c.graph.authorityURL
    "SYNCGATE_GRAPH_BASE_URL" $c.graph.baseURL
    "SYNCGATE_GRAPH_API_VERSION" $c.graph.apiVersion
    "SYNCGATE_GRAPH_JOB_PATH" $c.graph.jobPath
    "SYNCGATE_GRAPH_SCOPE" $c.graph.scope
    "SYNCGATE_GRAPH_TIMEOUT" $c.graph.timeout
    "OTEL_EXPORTER_OTLP_ENDPOINT" $c.tracing.endpoint
    "OTEL_EXPORTER_OTLP_PROTOCOL" $c.tracing.protocol }}
{{- if $value }}
{{- $_ := set $e $name (toString $value) }}
{{- end }}
{{- end }}
{{- if not (kindIs "invalid" $c.maxConnections) }}
{{- $_ := set $e "SYNCGATE_MAX_CONNECTIONS" (toString ($c.maxConnections | int)) }}
{{- end }}
{{- if not (kindIs "invalid" $c.jwt.cacheSize) }}
{{- $_ := set $e "SYNCGATE_JWT_CACHE_SIZE" (toString ($c.jwt.cacheSize | int)) }}
{{- end }}
{{- if $c.jwt.discovery }}
{{- $_ := set $e "SYNCGATE_JWT_DISCOVERY" "true" }}
{{- end }}
{{- if $c.veeam.insecureSkipVerify }}
{{- $_ := set $e "SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY" "true" }}
{{- end }}
{{- if .Values.metrics.enabled }}
{{- $_ := set $e "SYNCGATE_METRICS_ADDR" (printf ":%d" (.Values.metrics.port | int)) }}
{{- end }}
{{- range (include "syncgate.fileRefs" . | fromYaml).refs }}
{{- $_ := set $e .env (printf "%s/%s" (include "syncgate.filesDir" $) .path) }}
{{- end }}
{{- toYaml $e }}
{{- end }}

{{/*
The TCP port of the OTLP collector in config.tracing.endpoint: the URL's, else
443 for https and 80 for http.
*/}}
{{- define "syncgate.collectorPort" -}}
{{- $u := urlParse .Values.config.tracing.endpoint }}
{{- $hostPort := splitList ":" $u.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $u.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{/*
Refuses values the gateway could not run with, saying why, before anything
reaches the cluster.
*/}}
{{- define "syncgate.validate" -}}
{{- $c := .Values.config }}
{{- if not $c.jwt.issuers }}
{{- fail "config.jwt.issuers is required (SYNCGATE_JWT_ISSUERS): the token issuers the gateway accepts, such as https://login.microsoftonline.com/<tenant-id>/v2.0" }}
{{- end }}
{{- if not $c.jwt.audiences }}
{{- fail "config.jwt.audiences is required (SYNCGATE_JWT_AUDIENCES): the token audiences the gateway accepts, such as its app registration's application ID URI" }}
{{- end }}
{{- $keySources := 0 }}
{{- range (list $c.jwt.discovery $c.jwt.jwksURL $c.jwt.publicKey.configMapName $c.jwt.hmacSecret.secretName) }}{{ if . }}{{ $keySources = add1 $keySources }}{{ end }}{{ end }}
{{- if ne $keySources 1 }}
{{- fail "set exactly one token key source: config.jwt.discovery (true), config.jwt.jwksURL, config.jwt.publicKey.configMapName or config.jwt.hmacSecret.secretName" }}
{{- end }}
{{- $max := include "syncgate.maxReplicas" . | int }}
{{- if and (gt $max 1) (not .Values.redis.url.secretName) }}
{{- fail (printf "up to %d replicas can run, which needs Redis: set redis.url.secretName (a Secret holding SYNCGATE_REDIS_URL). Without a Redis shared by the replicas, each keeps its own start cooldowns, Idempotency-Key answers and rate-limit counts, so a start repeated on another replica would start the same sync or job again. For a single replica set replicaCount: 1 and autoscaling.enabled: false." $max) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (.Values.autoscaling.minReplicas | int) (.Values.autoscaling.maxReplicas | int)) }}
{{- fail "autoscaling.minReplicas is above autoscaling.maxReplicas" }}
{{- end }}
{{- if and $c.veeam.url (or (not $c.veeam.username) (not $c.veeam.password.secretName)) }}
{{- fail "config.veeam.url is set: config.veeam.username and config.veeam.password.secretName are required too" }}
{{- end }}
{{- if and (eq $c.graph.credential "certificate") (not $c.graph.clientCertificate.secretName) }}
{{- fail "config.graph.credential is certificate: set config.graph.clientCertificate.secretName" }}
{{- end }}
{{- if and (eq $c.graph.credential "secret") (not $c.graph.clientSecret.secretName) }}
{{- fail "config.graph.credential is secret: set config.graph.clientSecret.secretName" }}
{{- end }}
{{- if and (or (eq $c.graph.credential "secret") (eq $c.graph.credential "certificate")) (or (not $c.graph.tenantId) (not $c.graph.clientId)) }}
{{- fail (printf "config.graph.credential is %s: config.graph.tenantId and config.graph.clientId (the app registration's tenant and client id) are required too" $c.graph.credential) }}
{{- end }}
{{- if and (include "syncgate.workloadIdentity" .) (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "config.graph.credential is workload-identity: the pods need their own ServiceAccount (serviceAccount.create or serviceAccount.name), the subject of the federated credential" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled (SYNCGATE_METRICS_ADDR)" }}
{{- end }}
{{- end }}
