package e2e

import (
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/havenvr/haven/clients"
)

// StaticServer serves the built apps (clients.FS: /webxr/…, /console/…) on
// 127.0.0.1 for renderer tests that need no haven server. It skips the test
// when the apps have not been built.
func StaticServer(t testing.TB) *httptest.Server {
	t.Helper()
	RequireBuilt(t, "webxr")
	return ServeFS(t, clients.FS())
}

// RequireBuilt skips the test when app has not been built into clients/dist
// — or fails it under CI=true, where a missing build is a broken pipeline.
func RequireBuilt(t testing.TB, app string) {
	t.Helper()
	if clients.Built(app) {
		return
	}
	msg := "e2e: clients/dist/" + app + " not built; run `npm ci && node build.mjs` in clients/"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// ServeFS serves fsys over HTTP on a loopback listener (see ServeHandler).
func ServeFS(t testing.TB, fsys fs.FS) *httptest.Server {
	t.Helper()
	return ServeHandler(t, http.FileServer(http.FS(fsys)))
}

// ServeHandler serves h on a 127.0.0.1 listener with the cross-origin
// isolation headers that give performance.now() fine resolution.
func ServeHandler(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("e2e: listen: %v", err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: wrapped}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
