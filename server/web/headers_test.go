package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The policies the pages run under: no inline styles or scripts (the
// browser test in clients/e2e/csp_test.go shows the pages need none), and a
// Permissions-Policy naming only features Chromium knows — it reports an
// unknown one ("bluetooth") as an error on every page — that lets our own
// pages use the microphone (the session's voice) and no page a camera.
func TestPagePolicies(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	if directives["style-src"] != "'self'" || directives["script-src"] != "'self' 'wasm-unsafe-eval'" || strings.Contains(csp, "'unsafe-inline'") {
		t.Errorf("Content-Security-Policy %q: want style-src 'self' and nothing inline", csp)
	}
	pp := rec.Header().Get("Permissions-Policy")
	if strings.Contains(pp, "bluetooth") || !strings.Contains(pp, "microphone=(self)") || !strings.Contains(pp, "camera=()") {
		t.Errorf("Permissions-Policy %q", pp)
	}
}
