package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/environments"
)

// The frame budget of one scene on a standalone headset, per eye, at every
// intensity (issue 19, "Budget and proof"; the draw-call and triangle
// figures are the order of Meta's published Quest guidance of 50–200 draw
// calls and 300k–1M triangles per frame, taken at its cautious end).
const (
	budgetDrawCalls = 100
	budgetTriangles = 300_000
	budgetTextures  = 64 << 20 // bytes
	budgetLoadMs    = 5000     // scene.load to first frame
)

// sceneFigures is one row of docs/scenes/budget.json.
type sceneFigures struct {
	Template   string         `json:"template"`
	Setting    string         `json:"setting,omitempty"` // a choice that is not an intensity step (the crowd's mall or subway)
	Intensity  int            `json:"intensity"`
	Params     map[string]any `json:"params"`
	DrawCalls  int            `json:"draw_calls"`
	Triangles  int            `json:"triangles"`
	TextureMiB float64        `json:"texture_mib"`
	LoadMs     int            `json:"load_ms"`
	BuildMs    int            `json:"load_build_ms"`
	CompileMs  int            `json:"load_compile_ms"`
	DrawMs     int            `json:"load_draw_ms"`
	TextureMs  int            `json:"load_texture_ms"` // of the build: painting canvas textures
	EnvMapMs   int            `json:"load_envmap_ms"`  // of the build: prefiltering the environment map
	Programs   int            `json:"programs"`        // shader programs on the page after the load
	Image      string         `json:"image,omitempty"`
}

// TestScenesWithinBudget loads every template at intensities 0, 50 and 100
// and measures renderer.info, the textures in use and the time from
// scene.load to the first frame; any figure over budget fails. With
// HAVEN_SCENES_DIR set (make scenes) it renders at 1280×720 and writes the
// gallery images, budget.json and the README's headset screenshot there.
func TestScenesWithinBudget(t *testing.T) {
	out := os.Getenv("HAVEN_SCENES_DIR")
	// draw calls, triangles and texture bytes do not depend on the viewport:
	// under make test a small one keeps software WebGL's fill cost (and the
	// screenshots) cheap; the gallery renders the images people look at
	w, h := int64(320), int64(180)
	if out != "" {
		w, h = 1280, 720
	}
	srv := StaticServer(t)
	// open starts a page as a headset starts: the calm neutral room first
	open := func(t *testing.T, b *Browser) *Page {
		p := b.NewPage(t, srv.URL+"/webxr/index.html?preview&locale=en", w, h, "")
		p.WaitFor(`document.documentElement.dataset.ready === "1"`, 2*time.Minute) // the first page load compiles the calm scene in software
		p.WaitFor(`(s => !s.scene.loading && s.info.loaded_frame > 0)(window.haven.state)`, 2*time.Minute)
		return p
	}
	p := open(t, NewBrowser(t))
	// the page's first scene, the neutral room, loaded with nothing compiled or prefiltered
	start := MustEval[renderInfo](p, `window.haven.state.info`)
	t.Logf("page start (neutral room, cold): %d ms to first frame (build %d, compile %d, draw %d)", start.LoadMs, start.BuildMs, start.CompileMs, start.DrawMs)
	if start.LoadMs <= 0 || (out != "" && start.LoadMs > budgetLoadMs) {
		t.Errorf("page start: the neutral room took %d ms from scene.load to the first frame, budget %d", start.LoadMs, budgetLoadMs)
	}
	cat, err := environments.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	templates := MustEval[[]string](p, `window.haven.state.templates`)
	checkSchema(t, p, cat, templates)
	var rows []sceneFigures
	for _, v := range galleryRuns(templates) {
		tpl := v.template
		t.Run(v.name, func(t *testing.T) {
			p := p
			if out != "" {
				// where the load budget is a gate, each template's first load
				// is measured cold, as a headset meets it: a new browser (no
				// shader program, pipeline or environment map of another
				// scene in its caches) that has shown only the neutral room.
				// Under make test one page serves every template (the load
				// time is only logged there, and a browser each would cost
				// the run a minute).
				p = open(t, NewBrowser(t))
			}
			var shots [3][]byte
			params := templateParams(t, cat, tpl)
			for i := range params {
				params[i] = withSetting(params[i], v.setting)
			}
			for i, level := range []int{0, 50, 100} {
				t0 := time.Now()
				info := loadAndMeasure(t, p, tpl, params[i])
				t1 := time.Now()
				shots[i] = p.Screenshot()
				t.Logf("%s @%d: loaded and rendered in %v (longest main-thread task %d ms), screenshot %v", tpl, level, t1.Sub(t0).Round(time.Millisecond), info.LongTaskMs, time.Since(t1).Round(time.Millisecond))
				name := fmt.Sprintf("%s-%d.png", v.name, level)
				row := sceneFigures{Template: tpl, Setting: v.settingName(), Intensity: level, Params: params[i], DrawCalls: info.Calls, Triangles: info.Triangles,
					TextureMiB: float64(info.TextureBytes*100/(1<<20)) / 100, LoadMs: info.LoadMs, BuildMs: info.BuildMs, CompileMs: info.CompileMs, DrawMs: info.DrawMs,
					TextureMs: info.TextureMs, EnvMapMs: info.EnvMapMs, Programs: info.Programs}
				if out != "" {
					if err := os.WriteFile(filepath.Join(out, name), shots[i], 0o644); err != nil {
						t.Fatal(err)
					}
					row.Image = name
				} else {
					SaveArtifact(t, "scene-"+name, shots[i])
				}
				rows = append(rows, row)
				t.Logf("%s @%d: %d draw calls, %d triangles, %.1f MiB textures, %d ms to first frame (build %d of which textures %d and environment map %d, compile %d, draw %d; %d programs on the page), %d fps",
					v.name, level, info.Calls, info.Triangles, row.TextureMiB, info.LoadMs, info.BuildMs, info.TextureMs, info.EnvMapMs, info.CompileMs, info.DrawMs, info.Programs, info.FPS)
				st, err := Stats(shots[i])
				if err != nil {
					t.Fatal(err)
				}
				if st.Colours < 8 || st.NonDominant < 0.05 {
					t.Errorf("%s @%d looks blank: %d colours, %.1f%% off the dominant colour", tpl, level, st.Colours, 100*st.NonDominant)
				}
				if info.Calls == 0 || info.Calls > budgetDrawCalls {
					t.Errorf("%s @%d: %d draw calls, budget %d", tpl, level, info.Calls, budgetDrawCalls)
				}
				if info.Triangles > budgetTriangles {
					t.Errorf("%s @%d: %d triangles, budget %d", tpl, level, info.Triangles, budgetTriangles)
				}
				if info.TextureBytes == 0 || info.TextureBytes > budgetTextures {
					t.Errorf("%s @%d: %d bytes of textures, budget %d", tpl, level, info.TextureBytes, budgetTextures)
				}
				// the load budget is a standalone headset GPU's: software WebGL
				// beside other processes (make test) cannot hold it reliably, so
				// it is a gate only on the gallery's quiet run (make scenes)
				if info.LoadMs <= 0 || (out != "" && info.LoadMs > budgetLoadMs) {
					t.Errorf("%s @%d: %d ms from scene.load to the first frame, budget %d", tpl, level, info.LoadMs, budgetLoadMs)
				}
			}
			if out != "" {
				consoleClean(t, p)
			}
			diff, err := Difference(shots[0], shots[2])
			if err != nil {
				t.Fatal(err)
			}
			if diff < 0.02 {
				t.Errorf("%s: intensity 0 and 100 look the same (%.2f%% of pixels differ)", v.name, 100*diff)
			}
		})
	}
	consoleClean(t, p)
	if out == "" {
		return
	}
	// the gallery keeps what it measured even over budget: the figures are
	// the record. A run of some templates only (go test -run
	// 'TestScenesWithinBudget/forest') keeps the other rows of budget.json.
	rows = mergeRows(t, filepath.Join(out, "budget.json"), rows, galleryRuns(templates))
	doc := map[string]any{
		"budget":   map[string]any{"draw_calls": budgetDrawCalls, "triangles": budgetTriangles, "texture_mib": budgetTextures >> 20, "load_ms": budgetLoadMs},
		"measured": fmt.Sprintf("headless Chromium, software WebGL (SwiftShader), %d×%d, one eye; draw calls include shadow passes and the patient's panels", w, h),
		"scenes":   rows,
		// the page's first scene (the neutral room a headset shows while it joins), cold
		"page_start": map[string]any{"template": "neutral_room", "load_ms": start.LoadMs, "load_build_ms": start.BuildMs, "load_compile_ms": start.CompileMs, "load_draw_ms": start.DrawMs},
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "budget.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// consoleClean fails t for every WebGL or three.js message on p's console.
func consoleClean(t *testing.T, p *Page) {
	t.Helper()
	for _, line := range p.Console() {
		if strings.Contains(line, "WebGL") || strings.Contains(line, "THREE") {
			t.Errorf("console: %s", line)
		}
	}
}

// mergeRows returns the rows of the budget.json at path for the runs not
// measured now, with the rows measured now, in the gallery's order.
func mergeRows(t *testing.T, path string, now []sceneFigures, order []galleryRun) []sceneFigures {
	t.Helper()
	key := func(r sceneFigures) string { return r.Template + "/" + r.Setting }
	measured := map[string]bool{}
	for _, r := range now {
		measured[key(r)] = true
	}
	var old struct {
		Scenes []sceneFigures `json:"scenes"`
	}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &old); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	byKey := map[string][]sceneFigures{}
	for _, r := range old.Scenes {
		if !measured[key(r)] {
			byKey[key(r)] = append(byKey[key(r)], r)
		}
	}
	for _, r := range now {
		byKey[key(r)] = append(byKey[key(r)], r)
	}
	var out []sceneFigures
	for _, g := range order {
		out = append(out, byKey[g.template+"/"+g.settingName()]...)
	}
	return out
}

// galleryRun is one row of the gallery: a template at 0, 50 and 100, in one
// of its settings (a parameter the therapist chooses rather than an
// intensity step: the crowd's street, mall or subway).
type galleryRun struct {
	name, template string
	setting        map[string]any
}

func (g galleryRun) settingName() string {
	for _, v := range g.setting {
		return fmt.Sprint(v)
	}
	return ""
}

// gallerySettings: the settings each shown beside the template's own
// mapping (which for the crowd runs from the street to the subway).
var gallerySettings = map[string][]string{"crowds": {"mall", "subway"}}

// galleryRuns lists every template, and each crowd setting as its own row.
func galleryRuns(templates []string) []galleryRun {
	var out []galleryRun
	for _, tpl := range templates {
		out = append(out, galleryRun{name: tpl, template: tpl})
		for _, place := range gallerySettings[tpl] {
			out = append(out, galleryRun{name: tpl + "-" + place, template: tpl, setting: map[string]any{"scene": place}})
		}
	}
	return out
}

// withSetting returns params with setting's values over them (a copy).
func withSetting(params, setting map[string]any) map[string]any {
	out := make(map[string]any, len(params)+len(setting))
	for k, v := range params {
		out[k] = v
	}
	for k, v := range setting {
		out[k] = v
	}
	return out
}

// loadAndMeasure loads template at params with no transition and waits for
// the two frames after it is shown: the first draws the settled scene (a new
// scene settles at its parameters on its first update) and records the load
// time, the second repeats it, so renderer.info is the steady frame's. Budgets are per frame and the scene does not change between frames,
// so more frames would only cost time (seconds each under software WebGL).
func loadAndMeasure(t *testing.T, p *Page, template string, params map[string]any) renderInfo {
	t.Helper()
	js, _ := json.Marshal(map[string]any{"template": template, "params": params})
	MustEval[any](p, fmt.Sprintf(`(window.haven.loadScene(%s), true)`, js))
	// loading ends when the scene's shaders are compiled and it is shown
	wait := 90 * time.Second
	if os.Getenv("HAVEN_SCENES_DIR") != "" {
		wait = 5 * time.Minute // the gallery's 1280×720 frames in software WebGL
	}
	p.WaitFor(`(s => !s.scene.loading && s.info.loaded_frame > 0 && s.info.frame >= s.info.loaded_frame + 1)(window.haven.state)`, wait)
	got := MustEval[sceneState](p, `window.haven.state.scene`)
	if got.Template != template {
		t.Fatalf("scene is %q, want %q", got.Template, template)
	}
	return MustEval[renderInfo](p, `window.haven.state.info`)
}

// TestHeadsetScreenshot renders heights and spiders at intensity 100 in
// stereo under WebXR emulation (IWER, Meta Quest 3) into
// docs/scenes/headset-<template>-100.png for the gallery (the spiders: the
// one on the hand rides the emulated right controller, low in the view); it
// runs only under make scenes (HAVEN_SCENES_DIR).
func TestHeadsetScreenshot(t *testing.T) {
	out := os.Getenv("HAVEN_SCENES_DIR")
	if out == "" {
		t.Skip("HAVEN_SCENES_DIR is not set (make scenes sets it)")
	}
	b := NewBrowser(t)
	srv := StaticServer(t)
	for _, tpl := range []string{"heights", "spiders"} {
		t.Run(tpl, func(t *testing.T) {
			p := b.NewPage(t, srv.URL+"/webxr/index.html?preview&locale=en&iwer=quest3", 1280, 720, `document.documentElement.dataset.ready === "1"`)
			loadAndSettle(t, p, tpl, rangeEnds[tpl][1])
			MustEval[string](p, `window.haven.enterXR()`)
			p.WaitFor(`window.haven.state.xr === true`, 5*time.Second)
			// a stereo frame in software WebGL takes seconds: wait for a few, capture while the XR loop runs
			before := MustEval[int](p, `window.haven.state.info.frame`)
			p.WaitFor(fmt.Sprintf(`window.haven.state.info.frame > %d + 3`, before), 90*time.Second)
			if err := os.WriteFile(filepath.Join(out, "headset-"+tpl+"-100.png"), p.Screenshot(), 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}
