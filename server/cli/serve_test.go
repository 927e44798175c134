package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/havenvr/haven/server/apptest"
)

// Contract bounds of `haven serve` (issue 2: "answers /healthz and /readyz
// with 200 within 5 s of start"), measured from process start.
const (
	readyWithin    = 5 * time.Second
	shutdownWithin = 15 * time.Second
)

// serveChild returns `haven serve ARGS…` as a child process: this test
// binary re-executed as TestCrashChildServe (bench_crash_test.go), which
// runs Serve on ARGS just as main.go does for `haven serve`. The test's own
// HAVEN_* variables are dropped so the child's configuration is ARGS alone.
// (TestBenchCrashTiny builds the same command inline; it could use this.)
func serveChild(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestCrashChildServe$", "--"}, args...)...)
	env := []string{crashChildEnv + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HAVEN_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

// syncBuffer is a bytes.Buffer the child's output goroutine and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveProc is a running `haven serve` child.
type serveProc struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string
	started time.Time
	stdout  syncBuffer
	stderr  syncBuffer
	done    chan struct{}
	waitErr error
}

// startServe runs `haven serve --addr 127.0.0.1:PORT --data dir` on a free port.
func startServe(t *testing.T, dir string) *serveProc {
	t.Helper()
	port := freeTCPPort(t)
	p := &serveProc{t: t, base: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	p.cmd = serveChild("--addr", "127.0.0.1:"+strconv.Itoa(port), "--data", dir, "--metrics-token", serveMetricsToken)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting haven serve: %v", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("haven serve on %s\nstdout:\n%s\nstderr:\n%s", p.base, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (p *serveProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls /healthz and /readyz and returns how long after process
// start each first answered 200. It keeps polling past the contract (to 60 s)
// so a slow start is reported with its real duration.
func (p *serveProc) waitReady() (health, ready time.Duration) {
	p.t.Helper()
	hc := &http.Client{Timeout: time.Second}
	ok := func(path string) bool {
		resp, err := hc.Get(p.base + path)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	for health == 0 || ready == 0 {
		if p.exited() {
			p.t.Fatalf("haven serve exited during start-up: %v", p.waitErr)
		}
		if time.Since(p.started) > 60*time.Second {
			p.t.Fatalf("haven serve not ready 60 s after start (healthz after %v, readyz after %v)", health, ready)
		}
		if health == 0 && ok("/healthz") {
			health = time.Since(p.started)
		}
		if ready == 0 && ok("/readyz") {
			ready = time.Since(p.started)
		}
		if health == 0 || ready == 0 {
			time.Sleep(20 * time.Millisecond) // polling a child process: no clock to step
		}
	}
	return health, ready
}

// stop sends sig and returns the exit code and how long the shutdown took.
func (p *serveProc) stop(sig os.Signal) (int, time.Duration) {
	p.t.Helper()
	t0 := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signalling haven serve: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(shutdownWithin):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("haven serve still running %v after %v", shutdownWithin, sig)
	}
	took := time.Since(t0)
	var ee *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &ee) {
		p.t.Fatalf("waiting for haven serve: %v", p.waitErr)
	}
	return p.cmd.ProcessState.ExitCode(), took
}

// The /metrics series issue 2 names: HTTP requests, live peers, sessions,
// samples ingested.
var wantSeries = []string{"haven_http_requests_total", "haven_live_peers", "haven_live_sessions", "haven_samples_ingested_total"}

// serveMetricsToken guards the child server's /metrics (--metrics-token).
const serveMetricsToken = "serve-test-metrics-token"

func checkMetrics(t *testing.T, base string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+serveMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, name := range wantSeries {
		// A sample line, not just its # HELP comment.
		if !regexp.MustCompile(`(?m)^` + name + `(\{[^}]*\})? \S+$`).Match(body) {
			t.Errorf("/metrics has no %s sample", name)
		}
	}
}

// openAPIDoc is the part of an OpenAPI 3 document the test validates.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths map[string]map[string]struct {
		OperationID string           `json:"operationId"`
		Responses   map[string]any   `json:"responses"`
		Parameters  []map[string]any `json:"parameters"`
	} `json:"paths"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

// checkOpenAPI fetches /api/openapi.json and checks the rules of OpenAPI 3
// a generator can break: version 3.x, info title and version, non-empty
// paths, every operation with responses and a unique operationId, every
// {template} of a path declared as a required path parameter.
func checkOpenAPI(t *testing.T, c *apptest.Client) {
	t.Helper()
	st, body := c.Raw(http.MethodGet, "/api/openapi.json", nil)
	if st != http.StatusOK {
		t.Fatalf("/api/openapi.json: %d", st)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("/api/openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Info.Title == "" || doc.Info.Version == "" || len(doc.Paths) == 0 {
		t.Fatalf("openapi %q, info %+v, %d paths: want 3.x, a title and version, and paths", doc.OpenAPI, doc.Info, len(doc.Paths))
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/openapi.json", "/api/auth/login"} {
		if _, ok := doc.Paths[p]["get"]; !ok && p != "/api/auth/login" {
			t.Errorf("GET %s is not documented", p)
		}
	}
	if _, ok := doc.Paths["/api/auth/login"]["post"]; !ok {
		t.Errorf("POST /api/auth/login is not documented")
	}
	ids := map[string]string{}
	tmpl := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/") {
			t.Errorf("path %q does not start with /", path)
		}
		for method, op := range item {
			if !httpMethods[method] {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			if len(op.Responses) == 0 {
				t.Errorf("%s has no responses", where)
			}
			if op.OperationID != "" {
				if other, dup := ids[op.OperationID]; dup {
					t.Errorf("operationId %q used by %s and %s", op.OperationID, other, where)
				}
				ids[op.OperationID] = where
			}
			for _, m := range tmpl.FindAllStringSubmatch(path, -1) {
				declared := false
				for _, prm := range op.Parameters {
					if prm["name"] == m[1] && prm["in"] == "path" && prm["required"] == true {
						declared = true
					}
				}
				if !declared {
					t.Errorf("%s: path parameter %q not declared as required", where, m[1])
				}
			}
		}
	}
}

// firstStartLink is the one-time sign-in link `haven serve` prints on an empty database.
var firstStartLink = regexp.MustCompile(`(?m)^\s*(http://127\.0\.0\.1:\d+)/#/invite/([A-Za-z0-9_-]+)\s*$`)

// checkDatabase opens DIR/haven.db read-only after the server exited and
// checks it is whole: the WAL was checkpointed into the file, integrity and
// foreign keys hold, and the admin created before the signal is there.
func checkDatabase(t *testing.T, dir, adminEmail string) {
	t.Helper()
	path := filepath.Join(dir, "haven.db")
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("haven.db-wal holds %d bytes after a clean exit: the WAL was not checkpointed (the store was not closed)", fi.Size())
	}
	db, err := gorm.Open(sqlite.Open("file:"+path+"?mode=ro"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("opening the database read-only: %v", err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	var integrity string
	if err := db.Raw("PRAGMA integrity_check").Scan(&integrity).Error; err != nil || integrity != "ok" {
		t.Fatalf("integrity_check: %q %v", integrity, err)
	}
	var fkProblems []map[string]any
	if err := db.Raw("PRAGMA foreign_key_check").Scan(&fkProblems).Error; err != nil || len(fkProblems) > 0 {
		t.Fatalf("foreign_key_check: %v %v", fkProblems, err)
	}
	var admins int64
	if err := db.Table("users").Where("email = ? AND role = ?", adminEmail, "admin").Count(&admins).Error; err != nil || admins != 1 {
		t.Fatalf("admin accounts named %s after restart: %d %v", adminEmail, admins, err)
	}
}

// TestServeContract runs the real `haven serve --addr 127.0.0.1:PORT --data
// DIR` as a child process on an empty directory, for each shutdown signal:
// /healthz and /readyz answer 200 within 5 s of process start; /metrics has
// the haven_ series; /api/openapi.json is a valid OpenAPI 3 document; the
// one-time first-start link is printed (with no password) and signs the
// admin in once. The signal then ends the process with status 0 within
// 15 s, leaving a database that is whole when reopened read-only, and a
// second run on the same directory is ready within 5 s, prints no new link
// and signs the admin in with the password chosen in the first run.
func TestServeContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			p := startServe(t, dir)
			health, ready := p.waitReady()
			t.Logf("first start: /healthz 200 after %v, /readyz 200 after %v", health.Round(time.Millisecond), ready.Round(time.Millisecond))
			if health > readyWithin || ready > readyWithin {
				t.Errorf("first start: /healthz after %v, /readyz after %v; want both within %v of process start", health, ready, readyWithin)
			}
			c := apptest.NewClient(t, p.base)
			checkMetrics(t, p.base)
			checkOpenAPI(t, c)

			out := p.stdout.String()
			m := firstStartLink.FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "one-time link") {
				t.Fatalf("no one-time sign-in link on stdout:\n%s", out)
			}
			if m[1] != p.base {
				t.Errorf("link base %s, want the server's %s", m[1], p.base)
			}
			if strings.Contains(strings.ToLower(out), "password") {
				t.Errorf("first start printed a password:\n%s", out)
			}
			admin, password := "admin@clinic.test", "a long admin password "+sig.String()
			accept := "/api/invites/" + m[2] + "/accept"
			if st, body := c.Raw(http.MethodPost, accept, map[string]string{"name": "Admin", "email": admin, "password": password}); st != http.StatusOK {
				t.Fatalf("signing in through the link: %d %s", st, body)
			}
			if st, body := c.Raw(http.MethodGet, "/api/me", nil); st != http.StatusOK || !strings.Contains(string(body), `"role":"admin"`) {
				t.Fatalf("/api/me after the link: %d %s", st, body)
			}
			if st, body := apptest.NewClient(t, p.base).Raw(http.MethodPost, accept, map[string]string{"name": "X", "email": "x@clinic.test", "password": password}); st != http.StatusGone || !strings.Contains(string(body), `"invite_used"`) {
				t.Fatalf("second use of the link: %d %s, want 410 invite_used", st, body)
			}

			code, took := p.stop(sig)
			t.Logf("%v: exit status %d after %v", sig, code, took.Round(time.Millisecond))
			if code != 0 {
				t.Fatalf("exit status %d after %v, want 0", code, sig)
			}
			if strings.Contains(p.stderr.String(), "level=ERROR") {
				t.Errorf("errors logged during the run:\n%s", p.stderr.String())
			}
			checkDatabase(t, dir, admin)

			// The same directory serves again, already set up.
			p2 := startServe(t, dir)
			health, ready = p2.waitReady()
			t.Logf("restart: /healthz 200 after %v, /readyz 200 after %v", health.Round(time.Millisecond), ready.Round(time.Millisecond))
			if health > readyWithin || ready > readyWithin {
				t.Errorf("restart: /healthz after %v, /readyz after %v; want both within %v", health, ready, readyWithin)
			}
			if strings.Contains(p2.stdout.String(), "/#/invite/") {
				t.Errorf("restart with an admin in place printed a new sign-in link:\n%s", p2.stdout.String())
			}
			if st, body := apptest.NewClient(t, p2.base).Raw(http.MethodPost, "/api/auth/login", map[string]string{"email": admin, "password": password}); st != http.StatusOK {
				t.Fatalf("admin sign-in after restart: %d %s", st, body)
			}
			if code, took := p2.stop(syscall.SIGTERM); code != 0 {
				t.Fatalf("restarted server: exit status %d after %v", code, took)
			}
			checkDatabase(t, dir, admin)
		})
	}
}
