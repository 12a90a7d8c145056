{{/*
common.images.image: registry/repository:tag, global.imageRegistry first.
Usage: include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global)
*/}}
{{- define "common.images.image" -}}
{{- $registry := .imageRoot.registry -}}
{{- if and .global .global.imageRegistry -}}
{{- $registry = .global.imageRegistry -}}
{{- end -}}
{{- printf "%s/%s:%s" $registry .imageRoot.repository (.imageRoot.tag | toString) -}}
{{- end -}}

{{/*
common.images.renderPullSecrets: global.imagePullSecrets, then each image's
pullSecrets (names or {name: ...}), each name once, rendered with tpl.
Usage: include "common.images.renderPullSecrets" (dict "images" (list .Values.image) "context" $)
*/}}
{{- define "common.images.renderPullSecrets" -}}
{{- $names := list -}}
{{- $ctx := .context -}}
{{- $all := list -}}
{{- range (($ctx.Values.global).imagePullSecrets | default list) }}{{ $all = append $all . }}{{ end -}}
{{- range .images }}{{ range (.pullSecrets | default list) }}{{ $all = append $all . }}{{ end }}{{ end -}}
{{- range $all -}}
{{- if kindIs "map" . -}}
{{- $names = append $names (tpl (toString .name) $ctx) -}}
{{- else -}}
{{- $names = append $names (tpl (toString .) $ctx) -}}
{{- end -}}
{{- end -}}
{{- if $names }}
imagePullSecrets:
{{- range ($names | uniq) }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}
