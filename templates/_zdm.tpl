{{/*
zdm helpers, shared by the zdm-*.yaml templates of this chart.

Every setting is read through "zdm.config", which fills each key missing
from .Values.zdm with zdm's default. So a zdm: block written by an older
zdm (or by hand, or partly removed) keeps working when "helm zdm inject"
brings these templates up to date, and "helm lint --strict" never trips
over a missing key. Nothing here looks at .Release.IsUpgrade or
.Release.Revision: Argo CD renders every sync as a first install.
*/}}

{{/*
zdm.config: the effective zdm settings as YAML; use it as
  $z := include "zdm.config" . | fromYaml
Booleans are normalised (true, or "true" from --set-string, is true).
Numbers come back as floats: pass them through int.
*/}}
{{- define "zdm.config" -}}
{{- $v := get .Values "zdm" | default dict -}}
{{- if not (kindIs "map" $v) -}}
{{- fail "zdm: .Values.zdm must be a mapping (see the zdm: block in values.yaml)" -}}
{{- end -}}
{{- $c := dict -}}
{{- $_ := set $c "enabled" (eq (dig "enabled" true $v | toString) "true") -}}
{{- $_ = set $c "fullnameOverride" (dig "fullnameOverride" "" $v | toString) -}}
{{- $_ = set $c "image" (dict
      "repository" (dig "image" "repository" "ghcr.io/zdm-project/zdm-hook" $v | toString)
      "tag" (dig "image" "tag" "" $v | toString | default "@ZDM_VERSION@")
      "pullPolicy" (dig "image" "pullPolicy" "IfNotPresent" $v | toString)) -}}
{{- $_ = set $c "imagePullSecrets" (dig "imagePullSecrets" (list) $v) -}}
{{- $_ = set $c "database" (dict "existingSecret" (dig "database" "existingSecret" "" $v | toString)) -}}
{{- $_ = set $c "migrations" (dict
      "path" (dig "migrations" "path" "migrations" $v | toString | trimSuffix "/")
      "fromImage" (eq (dig "migrations" "fromImage" false $v | toString) "true")
      "imageDir" (dig "migrations" "imageDir" "/migrations" $v | toString)) -}}
{{- $_ = set $c "assertions" (dict
      "file" (dig "assertions" "file" "zdm/assertions.yaml" $v | toString)
      "imagePath" (dig "assertions" "imagePath" "" $v | toString)) -}}
{{- $_ = set $c "historyTable" (dig "historyTable" "zdm_schema_history" $v | toString) -}}
{{- $_ = set $c "lock" (dict
      "wait" (dig "lock" "wait" "2m" $v | toString)
      "timeout" (dig "lock" "timeout" "1s" $v | toString)) -}}
{{- $_ = set $c "contractInPost" (eq (dig "contractInPost" false $v | toString) "true") -}}
{{- $_ = set $c "strictContract" (eq (dig "strictContract" false $v | toString) "true") -}}
{{- $_ = set $c "appVersion" (include "zdm.appVersion" .) -}}
{{- $_ = set $c "deployedBy" (dig "deployedBy" "helm" $v | toString) -}}
{{- $_ = set $c "hooks" (dict
      "configWeight" (dig "hooks" "configWeight" -10 $v)
      "jobWeight" (dig "hooks" "jobWeight" -5 $v)
      "postWeight" (dig "hooks" "postWeight" 5 $v)) -}}
{{- $ttl := dig "job" "ttlSecondsAfterFinished" 86400 $v -}}
{{- if kindIs "invalid" $ttl }}{{ $ttl = -1 }}{{ end -}}
{{- $_ = set $c "job" (dict
      "activeDeadlineSeconds" (dig "job" "activeDeadlineSeconds" 240 $v)
      "ttlSecondsAfterFinished" $ttl
      "deleteOnSuccess" (eq (dig "job" "deleteOnSuccess" false $v | toString) "true")
      "terminationGracePeriodSeconds" (dig "job" "terminationGracePeriodSeconds" 30 $v)) -}}
{{- $_ = set $c "post" (dict "enabled" (eq (dig "post" "enabled" true $v | toString) "true")) -}}
{{- $_ = set $c "serviceAccountName" (dig "serviceAccountName" "" $v | toString) -}}
{{- $_ = set $c "podAnnotations" (dig "podAnnotations" (dict) $v) -}}
{{- $_ = set $c "podLabels" (dig "podLabels" (dict) $v) -}}
{{- $_ = set $c "resources" (dig "resources" (dict
      "requests" (dict "cpu" "10m" "memory" "32Mi")
      "limits" (dict "memory" "128Mi")) $v) -}}
{{- $_ = set $c "nodeSelector" (dig "nodeSelector" (dict) $v) -}}
{{- $_ = set $c "tolerations" (dig "tolerations" (list) $v) -}}
{{- $_ = set $c "affinity" (dig "affinity" (dict) $v) -}}
{{- $_ = set $c "priorityClassName" (dig "priorityClassName" "" $v | toString) -}}
{{- $_ = set $c "inherit" (eq (dig "inherit" true $v | toString) "true") -}}
{{- if $c.inherit -}}
{{- range $k, $in := include "zdm.inherit" . | fromYaml -}}
{{- if not (get $c $k) -}}
{{- $_ = set $c $k $in -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ = set $c "runAsUser" (dig "runAsUser" 65532 $v) -}}
{{- $_ = set $c "runAsGroup" (dig "runAsGroup" 65532 $v) -}}
{{- $_ = set $c "extraEnv" (dig "extraEnv" (list) $v) -}}
{{- $_ = set $c "extraEnvFrom" (dig "extraEnvFrom" (list) $v) -}}
{{- /* derived: where the Job finds its files */ -}}
{{- $assertions := "" -}}
{{- $assertionsCM := false -}}
{{- if $c.assertions.imagePath -}}
{{- $assertions = $c.assertions.imagePath -}}
{{- else if .Files.Get $c.assertions.file -}}
{{- $assertions = "/zdm/assertions/assertions.yaml" -}}
{{- $assertionsCM = true -}}
{{- end -}}
{{- $_ = set $c "computed" (dict
      "migrationsDir" (ternary $c.migrations.imageDir "/zdm/migrations" $c.migrations.fromImage)
      "assertionsPath" $assertions
      "assertionsConfigMap" $assertionsCM) -}}
{{- toYaml $c -}}
{{- end -}}

{{/*
zdm.appVersion: the app version zdm records for this release: zdm.appVersion,
else the chart's appVersion. The migration Jobs stamp it into the deployment
log (ZDM_APP_VERSION) and zdm.appEnv puts it in the app's application_name,
so the contract guard compares the same thing on both sides.
*/}}
{{- define "zdm.appVersion" -}}
{{- $v := get .Values "zdm" | default dict -}}
{{- if not (kindIs "map" $v) }}{{ $v = dict }}{{ end -}}
{{- dig "appVersion" "" $v | toString | default .Chart.AppVersion | toString -}}
{{- end -}}

{{/*
zdm.appName: "<release>/<app version>", the application_name the contract
guard looks for in pg_stat_activity. PostgreSQL keeps 63 bytes of it, so a
longer one fails the render (a cut version would compare wrongly). For a
driver that does not read PGAPPNAME (JDBC: ApplicationName), put this in its
connection settings.
*/}}
{{- define "zdm.appName" -}}
{{- $n := printf "%s/%s" .Release.Name (include "zdm.appVersion" .) -}}
{{- if gt (len $n) 63 -}}
{{- fail (printf "zdm: the application_name %q is longer than PostgreSQL's 63 bytes: shorten the release name or zdm.appVersion" $n) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/*
zdm.appEnv: the env entry that makes the app's PostgreSQL sessions carry
application_name "<release>/<app version>" (libpq and the drivers that read
its environment take PGAPPNAME), so that zdm defers a contract while any
pod, CronJob or worker of an older app version is still connected and
"zdm-hook status" lists them. Include it in every workload container's env:
  env:
    {{- include "zdm.appEnv" . | nindent 12 }}
An application_name set in the app's own connection string wins over it.
*/}}
{{- define "zdm.appEnv" -}}
- name: PGAPPNAME
  value: {{ include "zdm.appName" . | quote }}
{{- end -}}

{{/*
zdm.inherit: the pod settings the chart itself sets for its pods, read
from the keys "helm create" charts and the common chart libraries
(Bitnami's common) use, as YAML; "zdm.config" takes each one whose zdm.*
key is empty while zdm.inherit is true (docs/helm.md lists the rules):
  imagePullSecrets    imagePullSecrets, global.imagePullSecrets and
                      image.pullSecrets together, each name once (a name
                      or {name: ...}; a name with {{ }} goes through tpl)
  nodeSelector        nodeSelector, else global.nodeSelector
  tolerations         tolerations, else global.tolerations
  affinity            the nodeAffinity of affinity, else of global.affinity
                      (pod affinities select the chart's own pods, which
                      do not exist before the first install)
  priorityClassName   priorityClassName, else global.priorityClassName
  serviceAccountName  serviceAccount.name when serviceAccount.create is
                      false (an account the chart creates does not exist
                      yet when the pre-install Job starts), else
                      serviceAccountName
A key holding something of another type is ignored.
*/}}
{{- define "zdm.inherit" -}}
{{- $V := .Values -}}
{{- $g := get $V "global" -}}
{{- if not (kindIs "map" $g) }}{{ $g = dict }}{{ end -}}
{{- $img := get $V "image" -}}
{{- if not (kindIs "map" $img) }}{{ $img = dict }}{{ end -}}
{{- $sa := get $V "serviceAccount" -}}
{{- if not (kindIs "map" $sa) }}{{ $sa = dict }}{{ end -}}
{{- $out := dict -}}
{{- $secrets := list -}}
{{- $seen := dict -}}
{{- range $src := list (get $V "imagePullSecrets") (get $g "imagePullSecrets") (get $img "pullSecrets") -}}
{{- if kindIs "slice" $src -}}
{{- range $s := $src -}}
{{- $n := "" -}}
{{- if kindIs "map" $s }}{{ $n = get $s "name" | default "" | toString }}{{ else if kindIs "string" $s }}{{ $n = $s }}{{ end -}}
{{- if contains "{{" $n }}{{ $n = tpl $n $ }}{{ end -}}
{{- if and $n (not (hasKey $seen $n)) -}}
{{- $_ := set $seen $n true -}}
{{- $secrets = append $secrets (dict "name" $n) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $secrets }}{{ $_ := set $out "imagePullSecrets" . }}{{ end -}}
{{- range $key := list "nodeSelector" "tolerations" "affinity" "priorityClassName" -}}
{{- range $from := list $V $g -}}
{{- $x := get $from $key -}}
{{- if and (eq $key "affinity") (kindIs "map" $x) -}}
{{- $x = pick $x "nodeAffinity" -}}
{{- end -}}
{{- if and $x (not (hasKey $out $key)) (or (and (eq $key "nodeSelector") (kindIs "map" $x)) (and (eq $key "affinity") (kindIs "map" $x)) (and (eq $key "tolerations") (kindIs "slice" $x)) (and (eq $key "priorityClassName") (kindIs "string" $x))) -}}
{{- $_ := set $out $key $x -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $san := get $sa "name" | default "" | toString -}}
{{- if and $san (eq (get $sa "create" | toString) "false") -}}
{{- $_ := set $out "serviceAccountName" $san -}}
{{- else if kindIs "string" (get $V "serviceAccountName") -}}
{{- with get $V "serviceAccountName" }}{{ $_ := set $out "serviceAccountName" . }}{{ end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
zdm.validate: render-time checks; fails the render with what to do.
Context: dict "root" $ "z" $z.
*/}}
{{- define "zdm.validate" -}}
{{- $z := .z -}}
{{- if not $z.database.existingSecret -}}
{{- fail "zdm: zdm.database.existingSecret is empty: name an existing Secret that holds DATABASE_URL (or PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD) for the migration Job, e.g. --set zdm.database.existingSecret=myapp-db. zdm never takes a password in values. (zdm.enabled=false renders no zdm resources.)" -}}
{{- end -}}
{{- if ge (int $z.hooks.configWeight) (int $z.hooks.jobWeight) -}}
{{- fail (printf "zdm: zdm.hooks.configWeight (%d) must be lower than zdm.hooks.jobWeight (%d): helm creates hooks by weight, then by name, and the Job needs its ConfigMaps first" (int $z.hooks.configWeight) (int $z.hooks.jobWeight)) -}}
{{- end -}}
{{- if le (int $z.runAsUser) 0 -}}
{{- fail "zdm: zdm.runAsUser must be a non-zero numeric UID (the restricted Pod Security profile forbids root)" -}}
{{- end -}}
{{- end -}}

{{/* zdm.fullname: "<release>-zdm" (or zdm.fullnameOverride), at most 52
characters, so that the longest suffix ("-assertions") keeps every name
within 63. A longer name is shortened and carries the first 8 hex digits
of the SHA-256 of the whole release name (or override), so two releases
that share a prefix still get different names:
"<release, first 39>-<hash>-zdm", "<override, first 43>-<hash>". */}}
{{- define "zdm.fullname" -}}
{{- $o := .z.fullnameOverride -}}
{{- $r := .root.Release.Name -}}
{{- if and $o (le (len $o) 52) -}}
{{- $o -}}
{{- else if $o -}}
{{- printf "%s-%s" ($o | trunc 43 | trimSuffix "-") ($o | sha256sum | trunc 8) -}}
{{- else if le (len $r) 48 -}}
{{- printf "%s-zdm" $r -}}
{{- else -}}
{{- printf "%s-%s-zdm" ($r | trunc 39 | trimSuffix "-") ($r | sha256sum | trunc 8) -}}
{{- end -}}
{{- end -}}

{{/* zdm.labels: labels of every zdm object. app.kubernetes.io/name is
"zdm", never the chart's name, so the application's Service selector
cannot pick up a migration pod. */}}
{{- define "zdm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/name: zdm
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/part-of: {{ .root.Chart.Name | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
{{- end -}}

{{/* zdm.hook: Helm and Argo CD hook annotations.
Context: dict "helm" events "argo" phase "weight" n "deleteOnSuccess" bool. */}}
{{- define "zdm.hook" -}}
{{- $w := .weight | int | toString -}}
helm.sh/hook: {{ .helm }}
helm.sh/hook-weight: {{ $w | quote }}
helm.sh/hook-delete-policy: {{ ternary "before-hook-creation,hook-succeeded" "before-hook-creation" .deleteOnSuccess }}
argocd.argoproj.io/hook: {{ .argo }}
argocd.argoproj.io/sync-wave: {{ $w | quote }}
argocd.argoproj.io/hook-delete-policy: {{ ternary "BeforeHookCreation,HookSucceeded" "BeforeHookCreation" .deleteOnSuccess }}
{{- end -}}

{{/* zdm.job: a zdm-hook Job.
Context: dict "root" $ "z" $z "phase" "pre"|"post" "component" name
"hook" events "argo" phase "weight" n. */}}
{{- define "zdm.job" -}}
{{- $root := .root -}}
{{- $z := .z -}}
{{- $name := printf "%s-%s" (include "zdm.fullname" .) .component -}}
{{- /* Not evicted by cluster-autoscaler or Karpenter mid-migration (values'
podAnnotations win); an eviction that happens anyway (the Eviction API,
preemption, a drain: the DisruptionTarget condition) is not a failure of the
Job: it starts a new pod, which resumes the backfill. (helm zdm lint finds
the Job's retry setting by its name in this file: keep it out of comments.) */ -}}
{{- $podAnnotations := merge (dict) $z.podAnnotations (dict "cluster-autoscaler.kubernetes.io/safe-to-evict" "false" "karpenter.sh/do-not-disrupt" "true") -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $name }}
  labels:
    {{- include "zdm.labels" . | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
  annotations:
    {{- include "zdm.hook" (dict "helm" .hook "argo" .argo "weight" .weight "deleteOnSuccess" $z.job.deleteOnSuccess) | nindent 4 }}
    helm.sh/hook-output-log-policy: hook-failed
spec:
  backoffLimit: 0
  podFailurePolicy:
    rules:
      - action: Ignore
        onPodConditions:
          - type: DisruptionTarget
  {{- if gt ($z.job.activeDeadlineSeconds | int) 0 }}
  activeDeadlineSeconds: {{ $z.job.activeDeadlineSeconds | int }}
  {{- end }}
  {{- if ge ($z.job.ttlSecondsAfterFinished | int) 0 }}
  ttlSecondsAfterFinished: {{ $z.job.ttlSecondsAfterFinished | int }}
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "zdm.labels" . | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
        {{- with $z.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- toYaml $podAnnotations | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with $z.serviceAccountName }}
      serviceAccountName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $z.job.terminationGracePeriodSeconds | int }}
      {{- with $z.priorityClassName }}
      priorityClassName: {{ . | quote }}
      {{- end }}
      {{- with $z.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ $z.runAsUser | int }}
        runAsGroup: {{ $z.runAsGroup | int }}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: zdm-hook
          image: {{ printf "%s:%s" $z.image.repository $z.image.tag | quote }}
          imagePullPolicy: {{ $z.image.pullPolicy }}
          command:
            - zdm-hook
            - run
            - --phase
            - {{ .phase }}
            {{- if and (eq .phase "post") $z.contractInPost }}
            - --contract-in-post
            {{- end }}
          envFrom:
            - secretRef:
                name: {{ $z.database.existingSecret | quote }}
            {{- with $z.extraEnvFrom }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            - name: ZDM_MIGRATIONS_DIR
              value: {{ $z.computed.migrationsDir | quote }}
            {{- with $z.computed.assertionsPath }}
            - name: ZDM_ASSERTIONS
              value: {{ . | quote }}
            {{- end }}
            - name: ZDM_RELEASE
              value: {{ $root.Release.Name | quote }}
            - name: ZDM_NAMESPACE
              value: {{ $root.Release.Namespace | quote }}
            - name: ZDM_REVISION
              value: {{ $root.Release.Revision | toString | quote }}
            - name: ZDM_APP_VERSION
              value: {{ $z.appVersion | quote }}
            - name: ZDM_CHART_VERSION
              value: {{ $root.Chart.Version | quote }}
            - name: ZDM_DEPLOYED_BY
              value: {{ $z.deployedBy | quote }}
            - name: ZDM_HISTORY_TABLE
              value: {{ $z.historyTable | quote }}
            - name: ZDM_LOCK_WAIT
              value: {{ $z.lock.wait | quote }}
            - name: ZDM_LOCK_TIMEOUT
              value: {{ $z.lock.timeout | quote }}
            - name: ZDM_OUTPUT
              value: "json"
            - name: ZDM_STRICT_CONTRACT
              value: {{ ternary "true" "false" $z.strictContract | quote }}
            {{- with $z.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $z.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            runAsNonRoot: true
            runAsUser: {{ $z.runAsUser | int }}
            runAsGroup: {{ $z.runAsGroup | int }}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop:
                - ALL
            seccompProfile:
              type: RuntimeDefault
          terminationMessagePolicy: FallbackToLogsOnError
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if not $z.migrations.fromImage }}
            - name: migrations
              mountPath: /zdm/migrations
              readOnly: true
            {{- end }}
            {{- if $z.computed.assertionsConfigMap }}
            - name: assertions
              mountPath: /zdm/assertions
              readOnly: true
            {{- end }}
      {{- with $z.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $z.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $z.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if not $z.migrations.fromImage }}
        - name: migrations
          configMap:
            name: {{ include "zdm.fullname" . }}-migrations
        {{- end }}
        {{- if $z.computed.assertionsConfigMap }}
        - name: assertions
          configMap:
            name: {{ include "zdm.fullname" . }}-assertions
        {{- end }}
{{- end -}}
