{{/* Names and labels. */}}
{{- define "storefront.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "storefront.fullname" -}}
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

{{- define "storefront.selectorLabels" -}}
app.kubernetes.io/name: {{ include "storefront.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "storefront.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "storefront.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storefront
{{- end }}

{{- define "storefront.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "storefront.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "storefront.secretName" -}}
{{- if .Values.secret.create }}
{{- include "storefront.fullname" . }}
{{- else }}
{{- required "secret.existingSecret is required when secret.create is false" .Values.secret.existingSecret }}
{{- end }}
{{- end }}

{{/* A setting the chart computes with: must be set (an integer). */}}
{{- define "storefront.requiredInt" -}}
{{- $v := index .root.Values.config .key }}
{{- if or (kindIs "invalid" $v) (not (regexMatch "^[0-9]+$" (toString $v))) }}
{{- fail (printf "config.%s must be set to an integer (the chart derives probes and grace periods from it)" .key) }}
{{- end }}
{{- int64 $v }}
{{- end }}

{{- define "storefront.port" -}}
{{- include "storefront.requiredInt" (dict "root" . "key" "PORT") }}
{{- end }}

{{/* ceil(ms / 1000) */}}
{{- define "storefront.ceilSeconds" -}}
{{- div (add (int64 .) 999) 1000 }}
{{- end }}

{{/*
Probe timeout: above the readiness ping's deadline (STOREFRONT_READY_TIMEOUT_MS), so a slow
ping answers 503 instead of the kubelet timing out first.
*/}}
{{- define "storefront.probeTimeoutSeconds" -}}
{{- $ready := include "storefront.requiredInt" (dict "root" . "key" "STOREFRONT_READY_TIMEOUT_MS") }}
{{- add (include "storefront.ceilSeconds" $ready) .Values.probes.timeoutMarginSeconds }}
{{- end }}

{{/*
Termination grace: preStop sleep + the in-process delay (STOREFRONT_DRAIN_DELAY_MS, 0 unless
set) + the drain (STOREFRONT_SHUTDOWN_GRACE_MS) + a margin. The
kubelet counts the preStop hook inside terminationGracePeriodSeconds, so anything at or below
preStop + drain would SIGKILL requests still in flight.
*/}}
{{- define "storefront.terminationGracePeriodSeconds" -}}
{{- $grace := include "storefront.requiredInt" (dict "root" . "key" "STOREFRONT_SHUTDOWN_GRACE_MS") }}
{{- $delay := int64 (default 0 .Values.config.STOREFRONT_DRAIN_DELAY_MS) }}
{{- $floor := add .Values.lifecycle.preStopSleepSeconds (include "storefront.ceilSeconds" (add $grace $delay)) }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $floor .Values.terminationMarginSeconds }}
{{- else if le (int64 .Values.terminationGracePeriodSeconds) (int64 $floor) }}
{{- fail (printf "terminationGracePeriodSeconds %v must exceed preStop %vs + STOREFRONT_DRAIN_DELAY_MS %vms + STOREFRONT_SHUTDOWN_GRACE_MS %vms" .Values.terminationGracePeriodSeconds .Values.lifecycle.preStopSleepSeconds $delay $grace) }}
{{- else }}
{{- int64 .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
The per-pod request rate, one definition for both consumers:
  adapterQuery  prometheus-adapter's metricsQuery (<<.Series>> etc. filled in by the adapter)
  kedaQuery     the same expression summed over this release (KEDA divides by the pods)
*/}}
{{- define "storefront.rateMatcher" -}}
route!~"{{ .Values.autoscaling.requestRate.excludeRoutes }}"
{{- end }}

{{- define "storefront.adapterQuery" -}}
sum(rate(<<.Series>>{<<.LabelMatchers>>,{{ include "storefront.rateMatcher" . }}}[{{ .Values.autoscaling.requestRate.window }}])) by (<<.GroupBy>>)
{{- end }}

{{/* Total over this release's Service; KEDA's AverageValue target divides it by the pods. */}}
{{- define "storefront.kedaQuery" -}}
{{- $r := .Values.autoscaling.requestRate -}}
sum(rate({{ $r.seriesName }}{{ "{" }}{{ .Values.autoscaling.keda.namespaceLabel }}="{{ .Release.Namespace }}",service="{{ include "storefront.fullname" . }}",{{ include "storefront.rateMatcher" . }}}[{{ $r.window }}]))
{{- end }}

{{- define "storefront.adapterRule" -}}
{{- $r := .Values.autoscaling.requestRate -}}
seriesQuery: '{{ $r.seriesName }}{namespace!="",pod!=""}'
resources:
  overrides:
    namespace: {resource: namespace}
    pod: {resource: pod}
name:
  matches: "^{{ $r.seriesName }}$"
  as: "{{ $r.metricName }}"
metricsQuery: '{{ include "storefront.adapterQuery" . }}'
{{- end }}

{{- define "storefront.autoscaled" -}}
{{- if has .Values.autoscaling.mode (list "hpa" "keda") }}true{{ end }}
{{- end }}
