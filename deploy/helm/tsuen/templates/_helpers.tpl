{{/* Names and labels shared by every template. */}}
{{- define "tsuen.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tsuen.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: tsuen
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one service role: (dict "root" $ "service" "booking" "role" "api") */}}
{{- define "tsuen.selectorLabels" -}}
app.kubernetes.io/name: {{ .service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "tsuen.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tsuen.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The effective settings of one service: serviceDefaults overlaid with services.<name>. */}}
{{- define "tsuen.serviceValues" -}}
{{- $defaults := deepCopy .root.Values.serviceDefaults -}}
{{- $own := index .root.Values.services .service | default dict -}}
{{- toYaml (mergeOverwrite $defaults (deepCopy $own)) -}}
{{- end -}}

{{- define "tsuen.image" -}}
{{- printf "%s%s/%s:%s" .root.Values.image.registry .root.Values.image.repository .service .root.Values.image.tag -}}
{{- end -}}

{{/* Environment every container of a service gets. Secrets are referenced, never embedded. */}}
{{- define "tsuen.env" -}}
- name: TSUEN_SERVICE_NAME
  value: {{ .service | quote }}
- name: TSUEN_ENVIRONMENT
  value: prod
- name: TSUEN_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.postgres.existingSecret }}
      key: {{ .service }}
- name: TSUEN_KAFKA_BOOTSTRAP_SERVERS
  value: {{ .root.Values.kafka.bootstrapServers | quote }}
- name: TSUEN_KAFKA_TOPIC_PREFIX
  value: {{ .root.Values.kafka.topicPrefix | quote }}
{{- with .root.Values.kafka.security }}
- name: TSUEN_KAFKA_SECURITY_PROTOCOL
  value: {{ .protocol | default "PLAINTEXT" | quote }}
- name: TSUEN_KAFKA_SASL_MECHANISM
  value: {{ .saslMechanism | default "SCRAM-SHA-512" | quote }}
{{- with .existingSecret }}
- name: TSUEN_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: username}
- name: TSUEN_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: password}
{{- end }}
{{- if .caSecret }}
- name: TSUEN_KAFKA_SSL_CAFILE
  value: /etc/tsuen/kafka-ca/ca.crt
{{- end }}
{{- end }}
- name: TSUEN_LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: TSUEN_OTEL_EXPORTER
  value: {{ .root.Values.otel.exporter | quote }}
{{- with .root.Values.otel.endpoint }}
- name: TSUEN_OTEL_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: TSUEN_JWT_ALGORITHM
  value: {{ .root.Values.auth.algorithm | quote }}
- name: TSUEN_JWT_ISSUER
  value: {{ .root.Values.auth.issuer | quote }}
- name: TSUEN_JWT_AUDIENCE
  value: {{ .root.Values.auth.audience | quote }}
{{- if .root.Values.auth.jwksFromIdentity }}
- name: TSUEN_JWT_JWKS_URL
  value: {{ printf "http://%s-identity/.well-known/jwks.json" (include "tsuen.fullname" .root) | quote }}
{{- end }}
{{- with .root.Values.auth.existingSecret }}
{{- if eq $.root.Values.auth.algorithm "HS256" }}
- name: TSUEN_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: jwt-secret
{{- else }}
- name: TSUEN_JWT_PUBLIC_KEY_FILE
  value: /etc/tsuen/jwt/jwt-public-key
{{- end }}
{{- end }}
{{- if .root.Values.policies }}
- name: TSUEN_POLICY_DIR
  value: /etc/tsuen/policies
{{- end }}
{{- if eq .service "eligibility" }}
- name: TSUEN_APPLICATION_URL_BASE
  value: {{ .root.Values.publicUrls.application | quote }}
- name: TSUEN_EMAIL_CHANGE_URL_BASE
  value: {{ printf "%s/email/confirm" (trimSuffix "/" .root.Values.publicUrls.portal) | quote }}
{{- end }}
{{- if eq .service "identity" }}
- name: TSUEN_IDENTITY_SIGNING_KEY_FILE
  value: /etc/tsuen/identity/signing-key.pem
- name: TSUEN_PORTAL_BASE_URL
  value: {{ .root.Values.publicUrls.portal | quote }}
# The portal sends the browser's address; the NetworkPolicy keeps identity to in-cluster callers.
- name: TSUEN_TRUST_FORWARDED_FOR
  value: "true"
# Seals the officers' second-factor (TOTP) secrets at rest.
- name: TSUEN_SEALING_KEYS
  valueFrom:
    secretKeyRef: {name: {{ .root.Values.sealing.existingSecret }}, key: sealing-keys}
{{- end }}
{{- if eq .service "billing" }}
- name: TSUEN_BOOKING_API_URL
  value: {{ printf "http://%s-booking" (include "tsuen.fullname" .root) | quote }}
{{- with .root.Values.auth.billingReconcileTokenSecret }}
- name: TSUEN_BOOKING_API_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: token}
{{- end }}
{{- end }}
{{- if eq .service "portal" }}
{{- $base := include "tsuen.fullname" .root }}
- name: TSUEN_PORTAL_IDENTITY_URL
  value: {{ printf "http://%s-identity" $base | quote }}
- name: TSUEN_PORTAL_ELIGIBILITY_URL
  value: {{ printf "http://%s-eligibility" $base | quote }}
- name: TSUEN_PORTAL_BOOKING_URL
  value: {{ printf "http://%s-booking" $base | quote }}
- name: TSUEN_PORTAL_ATTENDANCE_URL
  value: {{ printf "http://%s-attendance" $base | quote }}
- name: TSUEN_PORTAL_BILLING_URL
  value: {{ printf "http://%s-billing" $base | quote }}
{{- with .root.Values.auth.portalTokenKeySecret }}
- name: TSUEN_PORTAL_TOKEN_KEY
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: token-key}
{{- end }}
{{- end }}
{{- if eq .service "attendance" }}
- name: TSUEN_PUBLIC_BASE_URL
  value: {{ .root.Values.publicUrls.portal | quote }}
- name: TSUEN_SEALING_KEYS
  valueFrom:
    secretKeyRef: {name: {{ .root.Values.sealing.existingSecret }}, key: sealing-keys}
{{- end }}
{{- if eq .service "notification" }}
# Every notice links to the portal (the booking mails to the booking's page).
- name: TSUEN_PORTAL_URL
  value: {{ .root.Values.publicUrls.portal | quote }}
- name: TSUEN_SMTP_HOST
  value: {{ .root.Values.smtp.host | quote }}
- name: TSUEN_SMTP_PORT
  value: {{ .root.Values.smtp.port | quote }}
- name: TSUEN_SMTP_SECURITY
  value: {{ .root.Values.smtp.security | quote }}
{{- with .root.Values.smtp.existingSecret }}
- name: TSUEN_SMTP_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: username}
- name: TSUEN_SMTP_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: password}
{{- end }}
{{- end }}
{{- end -}}

{{- define "tsuen.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .root.Values.policies }}
- name: policies
  configMap:
    name: {{ include "tsuen.fullname" .root }}-policies
{{- end }}
{{- if and .root.Values.auth.existingSecret (ne .root.Values.auth.algorithm "HS256") }}
- name: jwt
  secret:
    secretName: {{ .root.Values.auth.existingSecret }}
{{- end }}
{{- if eq .service "identity" }}
- name: identity-signing-key
  secret:
    secretName: {{ .root.Values.auth.identitySigningKeySecret }}
{{- end }}
{{- with (.root.Values.kafka.security | default dict).caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "tsuen.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .root.Values.policies }}
- name: policies
  mountPath: /etc/tsuen/policies
  readOnly: true
{{- end }}
{{- if and .root.Values.auth.existingSecret (ne .root.Values.auth.algorithm "HS256") }}
- name: jwt
  mountPath: /etc/tsuen/jwt
  readOnly: true
{{- end }}
{{- if eq .service "identity" }}
- name: identity-signing-key
  mountPath: /etc/tsuen/identity
  readOnly: true
{{- end }}
{{- if (.root.Values.kafka.security | default dict).caSecret }}
- name: kafka-ca
  mountPath: /etc/tsuen/kafka-ca
  readOnly: true
{{- end }}
{{- end -}}


{{/* Pod template of a Job: (dict "root" $ "ctx" $ctx "args" list ["command" list] "backoffLimit" n) */}}
{{- define "tsuen.jobSpec" -}}
backoffLimit: {{ .backoffLimit }}
ttlSecondsAfterFinished: 86400
template:
  metadata:
    labels:
      {{- include "tsuen.labels" .root | nindent 6 }}
      {{- include "tsuen.selectorLabels" .ctx | nindent 6 }}
  spec:
    restartPolicy: Never
    serviceAccountName: {{ include "tsuen.serviceAccountName" .root }}
    automountServiceAccountToken: {{ .root.Values.serviceAccount.automountServiceAccountToken }}
    {{- with .root.Values.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      {{- toYaml .root.Values.podSecurityContext | nindent 6 }}
    containers:
      - name: {{ .ctx.role }}
        image: {{ include "tsuen.image" .ctx | quote }}
        imagePullPolicy: {{ .root.Values.image.pullPolicy }}
        {{- with .command }}
        command: {{ toJson . }}
        {{- end }}
        args: {{ toJson .args }}
        env:
          {{- include "tsuen.env" .ctx | nindent 10 }}
        securityContext:
          {{- toYaml .root.Values.securityContext | nindent 10 }}
        resources:
          requests: {cpu: 50m, memory: 128Mi}
          limits: {memory: 256Mi}
        volumeMounts:
          {{- include "tsuen.volumeMounts" .ctx | nindent 10 }}
    volumes:
      {{- include "tsuen.volumes" .ctx | nindent 6 }}
{{- end -}}
