{{/* Names, labels and the rendered config, shared by every template. */}}

{{- define "unlockbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "unlockbot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "unlockbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "unlockbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "unlockbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "unlockbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "unlockbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "unlockbot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "unlockbot.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The Secret the pods read their environment from. */}}
{{- define "unlockbot.secretName" -}}
{{- default (include "unlockbot.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{/* Whether the chart creates that Secret. */}}
{{- define "unlockbot.createSecret" -}}
{{- if and (not .Values.existingSecret) (or .Values.secretEnv .Values.redis.url) -}}true{{- end -}}
{{- end -}}

{{/*
The unlockbot YAML: .Values.config plus what the chart owns (listen, and the
Redis URL's variable unless the config names its own source: a redis
block for Sentinel or Cluster, or a redis_url*). It holds
references to secrets, never their values.
*/}}
{{- define "unlockbot.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $_ := set $cfg "listen" (printf ":%d" (int .Values.containerPort)) -}}
{{- if not (or (hasKey $cfg "redis") (hasKey $cfg "redis_url") (hasKey $cfg "redis_url_env") (hasKey $cfg "redis_url_file")) -}}
{{- $_ := set $cfg "redis_url_env" .Values.redis.urlEnv -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "unlockbot.replicasAtLeast2" -}}
{{- if .Values.autoscaling.enabled -}}{{ ge (int .Values.autoscaling.minReplicas) 2 }}{{- else -}}{{ ge (int .Values.replicaCount) 2 }}{{- end -}}
{{- end -}}
