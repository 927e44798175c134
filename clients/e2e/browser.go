// Package e2e drives headless Chromium against Haven's browser apps from
// plain `go test` (chromedp, no Node at test time). The helpers here are the
// shared toolkit of the whole browser suite: launch a loopback-only browser,
// open isolated pages (one browser context per actor: patient, therapist),
// evaluate typed JavaScript, poll, screenshot and keep screenshots as
// artifacts. Launch flags follow shared/RECIPES.md (SwiftShader WebGL, DNS
// pinned to loopback so no packet leaves the machine).
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// DefaultChromium is Debian's chromium package binary.
const DefaultChromium = "/usr/bin/chromium"

// ChromiumPath returns $HAVEN_CHROMIUM or DefaultChromium.
func ChromiumPath() string {
	if p := os.Getenv("HAVEN_CHROMIUM"); p != "" {
		return p
	}
	return DefaultChromium
}

// Browser is one headless Chromium process shared by the pages of a test.
type Browser struct {
	ctx    context.Context // browser-level chromedp context
	cancel context.CancelFunc
}

// LaunchFlags are the allocator options every Haven browser test uses.
func LaunchFlags(userDataDir string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	return append(opts,
		chromedp.ExecPath(ChromiumPath()),
		chromedp.NoSandbox,
		chromedp.DisableGPU, // also adds --enable-unsafe-swiftshader: WebGL2 in software
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// keep every name lookup on loopback (RECIPES: Chromium still tries Google hosts otherwise)
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 800),
	)
}

// NewBrowser starts Chromium for t and stops it in t.Cleanup. Without a
// browser binary the test is skipped, except under CI=true where that is a failure.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	return newBrowser(t)
}

// NewMediaBrowser is NewBrowser with Chromium's fake media devices: every
// getUserMedia is granted without a prompt and the microphone plays wav (a
// 48 kHz PCM file, looped). Flags as verified in shared/recipes/voice-webrtc.md:
// once a page may use the microphone Chromium offers its interface
// addresses instead of hiding them, and only the loopback flag then lets it
// check the server's loopback candidate.
func NewMediaBrowser(t testing.TB, wav string) *Browser {
	t.Helper()
	return newBrowser(t,
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav))
}

func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("e2e: chromium not found at %s (CI=true requires it): %v", ChromiumPath(), err)
		}
		t.Skipf("e2e: chromium not found at %s; install Debian's chromium or set HAVEN_CHROMIUM", ChromiumPath())
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(LaunchFlags(t.TempDir()), extra...)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil { // start the browser now so launch errors surface here
		cancelCtx()
		cancelAlloc()
		t.Fatalf("e2e: starting chromium: %v", err)
	}
	b := &Browser{ctx: ctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	t.Cleanup(b.cancel)
	return b
}

// Page is one tab in its own browser context (separate cookies and storage),
// so a patient page and a therapist page never share state.
type Page struct {
	Ctx context.Context
	t   testing.TB

	// Diag is a JavaScript expression whose value is added to a failed
	// wait's message (for instance the app's state), when not empty.
	Diag string

	mu      sync.Mutex
	console []string // console errors/warnings and uncaught exceptions, for failure messages
}

// NewPage opens an isolated tab with a width×height viewport, navigates to
// url and waits until readyExpr (JavaScript) is truthy, when not empty.
func (b *Browser) NewPage(t testing.TB, url string, width, height int64, readyExpr string) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &Page{Ctx: ctx, t: t}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatalf("e2e: listening to console: %v", err)
	}
	nav, cancelNav := context.WithTimeout(ctx, evalLimit)
	defer cancelNav()
	if err := chromedp.Do(nav, chromedp.EmulateViewport(width, height), chromedp.Navigate(url)); err != nil {
		t.Fatalf("e2e: open %s: %v", url, err)
	}
	if readyExpr != "" {
		p.WaitFor(readyExpr, 30*time.Second)
	}
	return p
}

func (p *Page) record(ev any) {
	var line string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeWarning {
			return
		}
		parts := make([]string, 0, len(e.Args))
		for _, a := range e.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line = string(e.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		line = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			line += " " + e.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	p.mu.Lock()
	p.console = append(p.console, line)
	p.mu.Unlock()
}

// Console returns the console errors, warnings and uncaught exceptions seen so far.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// evalLimit bounds one evaluation, navigation or input action: a page
// whose renderer stopped answering fails its test here instead of holding
// the whole suite until go test's own timeout.
const evalLimit = time.Minute

// Do runs chromedp actions (input, navigation) on the page within evalLimit.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.Ctx, evalLimit)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Eval evaluates expr in the page and decodes the JSON result into T; promises are awaited.
func Eval[T any](p *Page, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.Ctx, evalLimit)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// MustEval is Eval that fails the test on error.
func MustEval[T any](p *Page, expr string) T {
	p.t.Helper()
	v, err := Eval[T](p, expr)
	if err != nil {
		p.t.Fatalf("e2e: eval %q: %v\nconsole: %s", shorten(expr), err, strings.Join(p.Console(), "\n"))
	}
	return v
}

// WaitFor polls expr until it is truthy or timeout passes (then the test fails).
// The poll runs in the page on the page's timers; the Go-side deadline
// (timeout plus a grace for a slow machine) ends it even when those timers
// never fire.
func (p *Page) WaitFor(expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, timeout+10*time.Second)
	defer cancel()
	// An exception counts as "not yet": a page between two views can lack
	// what the next one will have. The last one is reported if time runs out.
	guarded := `(() => { try { return (` + expr + `); } catch (e) { window.__waitError = String(e); return false; } })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](guarded, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		thrown := ""
		if msg, e := Eval[string](p, `String(window.__waitError || '')`); e == nil && msg != "" {
			thrown = "\nlast exception while waiting: " + msg
		}
		p.t.Fatalf("e2e: waiting for %q: %v%s%s\nconsole: %s%s%s", shorten(expr), err, thrown, p.diagnosis(), strings.Join(p.Console(), "\n"), saveStacks(p.t), p.saveFailedView())
	}
}

// saveFailedView keeps what the page showed when a wait failed, beside the
// goroutine stacks ("" when the page cannot be captured any more).
func (p *Page) saveFailedView() string {
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return ""
	}
	return "\nview: " + SaveArtifact(p.t, testArtifact(p.t, "failed-", ".png"), png)
}

// diagnosis evaluates Diag for a failure message ("" when unset or unanswered).
func (p *Page) diagnosis() string {
	if p.Diag == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](p.Diag))
	if err != nil {
		return "\nstate: unavailable: " + err.Error()
	}
	return "\nstate: " + v
}

// Screenshot captures the viewport as PNG.
func (p *Page) Screenshot() []byte {
	p.t.Helper()
	png, err := chromedp.Run(p.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("e2e: screenshot: %v", err)
	}
	return png
}

// ArtifactDir is where screenshots are kept (gitignored): clients/e2e/testdata/screenshots.
func ArtifactDir() string {
	if d := os.Getenv("HAVEN_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join("testdata", "screenshots")
}

// SaveArtifact writes data under ArtifactDir()/name and returns the path.
func SaveArtifact(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir := ArtifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("e2e: artifact dir: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("e2e: saving %s: %v", path, err)
	}
	return path
}

func shorten(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%s…", s[:120])
	}
	return s
}

// saveStacks keeps every goroutine's stack of the test process — the
// server under test runs in it — as an artifact, for a wait that failed
// because the server never answered. It returns a line naming the file.
func saveStacks(t testing.TB) string {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		return ""
	}
	return "\ngoroutines: " + SaveArtifact(t, testArtifact(t, "stacks-", ".txt"), buf.Bytes())
}

// testArtifact names a file after the test (subtests included).
func testArtifact(t testing.TB, prefix, ext string) string {
	return prefix + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + ext
}
