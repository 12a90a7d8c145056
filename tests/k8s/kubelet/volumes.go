package main

// Volumes (emptyDir, configMap, secret, projected of those) materialised
// under the pod's directory, and env/envFrom resolved from the API.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prepareVolumes returns volume name -> host directory.
func (k *kubelet) prepareVolumes(ctx context.Context, r *podRun) (map[string]string, error) {
	p := r.pod
	out := map[string]string{}
	for _, v := range p.Spec.Volumes {
		dir := filepath.Join(r.dir, "volumes", v.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		switch {
		case v.EmptyDir != nil:
			// Writable by whatever user the container runs as.
			if err := os.Chmod(dir, 0o1777); err != nil {
				return nil, err
			}
		case v.ConfigMap != nil:
			cm, err := k.cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("configmap %q for volume %q: %w", v.ConfigMap.Name, v.Name, err)
			}
			data := map[string][]byte{}
			for key, val := range cm.Data {
				data[key] = []byte(val)
			}
			for key, val := range cm.BinaryData {
				data[key] = val
			}
			if err := writeKeys(dir, data, v.ConfigMap.Items, v.ConfigMap.DefaultMode); err != nil {
				return nil, err
			}
		case v.Secret != nil:
			s, err := k.cs.CoreV1().Secrets(p.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && v.Secret.Optional != nil && *v.Secret.Optional {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("secret %q for volume %q: %w", v.Secret.SecretName, v.Name, err)
			}
			if err := writeKeys(dir, s.Data, v.Secret.Items, v.Secret.DefaultMode); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("volume %q: only emptyDir, configMap and secret volumes are supported by zdm-kubelet", v.Name)
		}
		out[v.Name] = dir
	}
	return out, nil
}

func writeKeys(dir string, data map[string][]byte, items []corev1.KeyToPath, mode *int32) error {
	m := os.FileMode(0o644)
	if mode != nil {
		m = os.FileMode(*mode)
	}
	write := func(path string, b []byte, fm os.FileMode) error {
		f := filepath.Join(dir, filepath.Clean("/"+path))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, b, fm); err != nil {
			return err
		}
		return os.Chmod(f, fm)
	}
	if len(items) == 0 {
		for key, b := range data {
			if err := write(key, b, m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("key %q not found", it.Key)
		}
		fm := m
		if it.Mode != nil {
			fm = os.FileMode(*it.Mode)
		}
		if err := write(it.Path, b, fm); err != nil {
			return err
		}
	}
	return nil
}

// resolveEnv returns each container's environment, in Kubernetes order:
// envFrom first, then env (later entries win), $(VAR) references expanded.
func (k *kubelet) resolveEnv(ctx context.Context, p *corev1.Pod) (map[string][]corev1.EnvVar, error) {
	out := map[string][]corev1.EnvVar{}
	secrets := map[string]*corev1.Secret{}
	cms := map[string]*corev1.ConfigMap{}
	secret := func(n string) (*corev1.Secret, error) {
		if s, ok := secrets[n]; ok {
			return s, nil
		}
		s, err := k.cs.CoreV1().Secrets(p.Namespace).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", n, err)
		}
		secrets[n] = s
		return s, nil
	}
	configMap := func(n string) (*corev1.ConfigMap, error) {
		if c, ok := cms[n]; ok {
			return c, nil
		}
		c, err := k.cs.CoreV1().ConfigMaps(p.Namespace).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("configmap %q: %w", n, err)
		}
		cms[n] = c
		return c, nil
	}
	all := append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range all {
		vals := map[string]string{}
		var order []string
		set := func(n, v string) {
			if _, ok := vals[n]; !ok {
				order = append(order, n)
			}
			vals[n] = v
		}
		for _, ef := range c.EnvFrom {
			optional := false
			switch {
			case ef.SecretRef != nil:
				optional = ef.SecretRef.Optional != nil && *ef.SecretRef.Optional
				s, err := secret(ef.SecretRef.Name)
				if err != nil {
					if optional && apierrors.IsNotFound(err) {
						continue
					}
					return nil, err
				}
				for key, b := range s.Data {
					set(ef.Prefix+key, string(b))
				}
			case ef.ConfigMapRef != nil:
				optional = ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional
				cm, err := configMap(ef.ConfigMapRef.Name)
				if err != nil {
					if optional && apierrors.IsNotFound(err) {
						continue
					}
					return nil, err
				}
				for key, v := range cm.Data {
					set(ef.Prefix+key, v)
				}
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				set(e.Name, expand(e.Value, vals))
				continue
			}
			vf := e.ValueFrom
			switch {
			case vf.SecretKeyRef != nil:
				s, err := secret(vf.SecretKeyRef.Name)
				if err != nil {
					if vf.SecretKeyRef.Optional != nil && *vf.SecretKeyRef.Optional {
						continue
					}
					return nil, err
				}
				b, ok := s.Data[vf.SecretKeyRef.Key]
				if !ok {
					return nil, fmt.Errorf("secret %q has no key %q", vf.SecretKeyRef.Name, vf.SecretKeyRef.Key)
				}
				set(e.Name, string(b))
			case vf.ConfigMapKeyRef != nil:
				cm, err := configMap(vf.ConfigMapKeyRef.Name)
				if err != nil {
					if vf.ConfigMapKeyRef.Optional != nil && *vf.ConfigMapKeyRef.Optional {
						continue
					}
					return nil, err
				}
				v, ok := cm.Data[vf.ConfigMapKeyRef.Key]
				if !ok {
					return nil, fmt.Errorf("configmap %q has no key %q", vf.ConfigMapKeyRef.Name, vf.ConfigMapKeyRef.Key)
				}
				set(e.Name, v)
			case vf.FieldRef != nil:
				set(e.Name, fieldRef(p, vf.FieldRef.FieldPath))
			default:
				return nil, fmt.Errorf("env %q: unsupported valueFrom", e.Name)
			}
		}
		env := make([]corev1.EnvVar, 0, len(order))
		for _, n := range order {
			env = append(env, corev1.EnvVar{Name: n, Value: vals[n]})
		}
		out[c.Name] = env
	}
	return out, nil
}

func fieldRef(p *corev1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return p.Name
	case "metadata.namespace":
		return p.Namespace
	case "metadata.uid":
		return string(p.UID)
	case "spec.nodeName":
		return p.Spec.NodeName
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName
	case "status.podIP", "status.hostIP":
		return "127.0.0.1"
	}
	if len(path) > 21 && path[:21] == "metadata.annotations[" {
		return p.Annotations[unquoteKey(path[21:])]
	}
	if len(path) > 16 && path[:16] == "metadata.labels[" {
		return p.Labels[unquoteKey(path[16:])]
	}
	return ""
}

func unquoteKey(s string) string {
	if len(s) > 0 && s[len(s)-1] == ']' {
		s = s[:len(s)-1]
	}
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// expand replaces $(VAR) with earlier variables; $$ escapes.
func expand(s string, vals map[string]string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			if s[i+1] == '$' {
				out = append(out, '$')
				i++
				continue
			}
			if s[i+1] == '(' {
				end := -1
				for j := i + 2; j < len(s); j++ {
					if s[j] == ')' {
						end = j
						break
					}
				}
				if end > 0 {
					if v, ok := vals[s[i+2:end]]; ok {
						out = append(out, v...)
						i = end
						continue
					}
				}
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}
