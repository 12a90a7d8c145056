package main

// Container logs for `kubectl logs`: the API server proxies
// GET /containerLogs/<namespace>/<pod>/<container> to the node's kubelet
// endpoint (127.0.0.1:--port, HTTPS; the API server does not verify the
// certificate unless --kubelet-certificate-authority is set).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func (k *kubelet) serveLogs(ctx context.Context) {
	cert, err := selfSigned()
	if err != nil {
		log.Printf("logs: %v", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/containerLogs/", k.containerLogs)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	srv := &http.Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(k.c.port)), Handler: mux,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.ListenAndServeTLS("", ""); err != nil && err != http.ErrServerClosed {
		log.Printf("logs: %v", err)
	}
}

func (k *kubelet) containerLogs(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/containerLogs/"), "/")
	if len(parts) != 3 {
		http.Error(w, "want /containerLogs/<namespace>/<pod>/<container>", http.StatusBadRequest)
		return
	}
	o, ok, _ := k.lister.GetByKey(parts[0] + "/" + parts[1])
	if !ok {
		http.Error(w, "pod not found", http.StatusNotFound)
		return
	}
	p := o.(*corev1.Pod)
	f := filepath.Join(k.c.stateDir, "pods", string(p.UID), "containers", parts[2], "log")
	fh, err := os.Open(f)
	if err != nil {
		http.Error(w, "no log for container "+parts[2], http.StatusNotFound)
		return
	}
	defer fh.Close()
	q := req.URL.Query()
	w.Header().Set("Content-Type", "text/plain")
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 {
		b, _ := io.ReadAll(fh)
		lines := strings.SplitAfter(string(b), "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		io.WriteString(w, strings.Join(lines, ""))
		return
	}
	io.Copy(w, fh)
	if q.Get("follow") != "true" {
		return
	}
	// Follow: copy what is appended until the container has stopped.
	fl, _ := w.(http.Flusher)
	for {
		if fl != nil {
			fl.Flush()
		}
		if !k.containerRunning(p, parts[2]) {
			io.Copy(w, fh)
			return
		}
		select {
		case <-req.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		io.Copy(w, fh)
	}
}

func (k *kubelet) containerRunning(p *corev1.Pod, name string) bool {
	o, ok, _ := k.lister.GetByKey(p.Namespace + "/" + p.Name)
	if !ok {
		return false
	}
	for _, cs := range o.(*corev1.Pod).Status.ContainerStatuses {
		if cs.Name == name && cs.State.Terminated == nil {
			return true
		}
	}
	return false
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zdm-kubelet"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * 365 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
