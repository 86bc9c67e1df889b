package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || !healthy {
			http.Error(w, "not ok", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	var out, errOut bytes.Buffer
	if code := run([]string{"healthcheck", "--addr", addr}, &out, &errOut); code != 0 {
		t.Fatalf("healthy server: exit %d, stderr %q", code, errOut.String())
	}
	// A URL, as it is written for a browser or Prometheus, path included.
	for _, a := range []string{srv.URL, srv.URL + "/", srv.URL + "/healthz"} {
		errOut.Reset()
		if code := run([]string{"healthcheck", "--addr", a}, &out, &errOut); code != 0 {
			t.Fatalf("--addr %s: exit %d, stderr %q", a, code, errOut.String())
		}
	}
	errOut.Reset()
	if code := run([]string{"healthcheck", "--addr", "ftp://" + addr}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "http(s) URL") {
		t.Fatalf("ftp URL: exit %d, stderr %q", code, errOut.String())
	}
	healthy = false
	errOut.Reset()
	if code := run([]string{"healthcheck", "--addr", addr}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "503") {
		t.Fatalf("unhealthy server: exit %d, stderr %q; want 1 and the status", code, errOut.String())
	}
	srv.Close()
	errOut.Reset()
	if code := run([]string{"healthcheck", "--addr", addr}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "healthcheck") {
		t.Fatalf("no server: exit %d, stderr %q", code, errOut.String())
	}
	// The env default: TGNATS_HTTP_LISTEN, with a wildcard host checked on loopback.
	t.Setenv("TGNATS_HTTP_LISTEN", "0.0.0.0:1")
	errOut.Reset()
	if code := run([]string{"healthcheck"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "127.0.0.1:1") {
		t.Fatalf("env default: exit %d, stderr %q", code, errOut.String())
	}
}
