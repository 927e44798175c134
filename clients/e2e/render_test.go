package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/havenvr/haven/environments"
)

type renderInfo struct {
	Calls        int `json:"calls"`
	Triangles    int `json:"triangles"`
	Points       int `json:"points"`
	LoadMs       int `json:"load_ms"`
	TextureBytes int `json:"texture_bytes"`
	LoadedFrame  int `json:"loaded_frame"`
	LongTaskMs   int `json:"long_task_ms"`
	FPS          int `json:"fps"`
	// where load_ms went: building (with the environment light), compiling shaders, the first draw
	BuildMs   int `json:"load_build_ms"`
	CompileMs int `json:"load_compile_ms"`
	DrawMs    int `json:"load_draw_ms"`
	// of the build: painting canvas textures, prefiltering the environment map
	TextureMs int `json:"load_texture_ms"`
	EnvMapMs  int `json:"load_envmap_ms"`
	Programs  int `json:"programs"` // shader programs compiled on the page so far
}

type sceneState struct {
	Template string         `json:"template"`
	Params   map[string]any `json:"params"`
	Loading  bool           `json:"loading"`
}

// templateParams returns the parameters of template at intensity 0, 50 and
// 100 from the environments package (the server's own mapping). Calming
// templates have no intensity mapping, so their range ends come from
// rangeEnds instead, with the template's defaults in the middle — the
// screenshots must still differ.
func templateParams(t *testing.T, cat *environments.Catalog, template string) [3]map[string]any {
	t.Helper()
	tpl, ok := cat.Get(template)
	if !ok {
		t.Fatalf("environments has no template %s", template)
	}
	lo, mid, hi := map[string]any(tpl.ParamsAt(0)), map[string]any(tpl.ParamsAt(50)), map[string]any(tpl.ParamsAt(100))
	if reflect.DeepEqual(lo, hi) {
		return [3]map[string]any{rangeEnds[template][0], mid, rangeEnds[template][1]}
	}
	return [3]map[string]any{lo, mid, hi}
}

// rangeEnds: [calm end, hard end] of every template's ranges in the issue.
var rangeEnds = map[string][2]map[string]any{
	"heights": {
		{"floor": 1, "edge_distance_m": 4, "railing": true, "glass_floor": false, "wind": 0, "sway": 0},
		{"floor": 30, "edge_distance_m": 0, "railing": false, "glass_floor": true, "wind": 1, "sway": 1},
	},
	"spiders": {
		{"count": 0, "size_cm": 1, "distance_m": 3, "speed": 0, "container": "closed_bowl", "approaches_hand": false, "on_hand": false},
		{"count": 12, "size_cm": 15, "distance_m": 0.2, "speed": 1, "container": "free", "approaches_hand": true, "on_hand": true},
	},
	"flying": {
		{"phase": "boarding", "turbulence": 0, "window_seat": false, "crowding": 0},
		{"phase": "turbulence", "turbulence": 1, "window_seat": true, "crowding": 1},
	},
	"public_speaking": {
		{"audience_size": 3, "attitude": "positive", "qa_tone": "friendly", "lighting": "normal"},
		{"audience_size": 30, "attitude": "hostile", "qa_tone": "challenging", "lighting": "spotlight"},
	},
	"enclosed_space": {
		{"variant": "small_room", "room_size_m": 3, "occupants": 0, "door_closed": false, "light_level": 1, "malfunction_stop": false},
		{"variant": "elevator", "room_size_m": 1, "occupants": 6, "door_closed": true, "light_level": 0.2, "malfunction_stop": true},
	},
	"crowds": {
		{"scene": "street", "crowd_density": 0, "noise": 0, "exit_distance_m": 5},
		{"scene": "subway", "crowd_density": 1, "noise": 1, "exit_distance_m": 40},
	},
	"beach":        {{"time_of_day": "dawn", "waves": 0, "birds": false}, {"time_of_day": "sunset", "waves": 1, "birds": true}},
	"forest":       {{"time_of_day": "dawn", "wind": 0, "birdsong": false}, {"time_of_day": "sunset", "wind": 1, "birdsong": true}},
	"night_sky":    {{"stars": 200, "aurora": false, "shooting_stars": false}, {"stars": 2000, "aurora": true, "shooting_stars": true}},
	"neutral_room": {{"light_level": 0.3, "tint": "warm"}, {"light_level": 1, "tint": "cool"}},
}

// openPreview opens the patient client in preview mode (no join screen) on a static server.
func openPreview(t *testing.T, b *Browser, base, extra string) *Page {
	t.Helper()
	return b.NewPage(t, base+"/webxr/index.html?preview&locale=en"+extra, 800, 450, `document.documentElement.dataset.ready === "1"`)
}

// loadAndSettle loads a scene instantly and waits until every eased value has arrived.
func loadAndSettle(t *testing.T, p *Page, template string, params map[string]any) renderInfo {
	t.Helper()
	js, _ := json.Marshal(map[string]any{"template": template, "params": params})
	start := MustEval[int](p, `window.haven.state.info.frame`)
	MustEval[any](p, fmt.Sprintf(`(window.haven.loadScene(%s), true)`, js))
	// a new scene settles at its parameters on its first update; wait for a
	// dozen frames after it so the figures are the steady scene's (software
	// WebGL on a busy machine may take seconds per frame: the deadline is wide)
	p.WaitFor(fmt.Sprintf(`window.haven.state.info.frame >= %d + 12 && !window.haven.state.scene.loading`, start), 90*time.Second)
	got := MustEval[sceneState](p, `window.haven.state.scene`)
	if got.Template != template {
		t.Fatalf("scene is %q, want %q", got.Template, template)
	}
	return MustEval[renderInfo](p, `window.haven.state.info`)
}

// checkSchema: the client renders exactly the server's templates and knows every parameter and event.
func checkSchema(t *testing.T, p *Page, cat *environments.Catalog, client []string) {
	t.Helper()
	var ids []string
	for _, tpl := range cat.List() {
		ids = append(ids, tpl.ID)
	}
	got := append([]string(nil), client...)
	sort.Strings(got)
	if !reflect.DeepEqual(ids, got) {
		t.Fatalf("client templates %v, environments has %v", got, ids)
	}
	type spec struct {
		Params map[string]json.RawMessage `json:"params"`
		Events []string                   `json:"events"`
	}
	schema := MustEval[map[string]spec](p, `window.haven.schema`)
	for _, tpl := range cat.List() {
		for _, prm := range tpl.Params {
			if _, ok := schema[tpl.ID].Params[prm.Name]; !ok {
				t.Errorf("%s: the client does not know parameter %s", tpl.ID, prm.Name)
			}
		}
		for name := range schema[tpl.ID].Params {
			if _, ok := tpl.Param(name); !ok {
				t.Errorf("%s: the client has parameter %s the server does not", tpl.ID, name)
			}
		}
		for _, ev := range tpl.Events {
			if !slices.Contains(schema[tpl.ID].Events, ev.ID) {
				t.Errorf("%s: the client cannot fire the server's event %s", tpl.ID, ev.ID)
			}
		}
		for _, ev := range schema[tpl.ID].Events {
			if !tpl.HasEvent(ev) {
				t.Errorf("%s: the client fires event %s the server does not declare", tpl.ID, ev)
			}
		}
	}
}

func TestParameterChangesEaseWithoutJumps(t *testing.T) {
	b := NewBrowser(t)
	srv := StaticServer(t)
	p := openPreview(t, b, srv.URL, "")
	loadAndSettle(t, p, "spiders", map[string]any{"count": 4, "distance_m": 3})
	MustEval[any](p, `(window.haven.setParams({distance_m: 0.5}, 2000), true)`)
	// sample the eased value at every frame the renderer draws, with the
	// frame's time: it must pass through the middle and never move faster
	// than the smoothstep ease allows. Smoothstep's steepest slope is 1.5 at
	// its midpoint, so 2.5 m over 2 s peaks at 1.875 m/s (10 % allowed for
	// the frame's own clock).
	samples := MustEval[[][2]float64](p, `new Promise(r => { const out = []; const rr = window.haven.renderer;
		const done = () => { off(); clearTimeout(limit); r(out); };
		const off = rr.onFrame(() => { const v = rr.scene().current.distance_m; out.push([performance.now(), v]); if (v === 0.5) done(); });
		const limit = setTimeout(done, 30000); })`)
	const maxSpeed = 1.5 * 2.5 / 2.0 * 1.1
	between := false
	for i, s := range samples {
		if s[1] > 0.5 && s[1] < 3 {
			between = true
		}
		if i == 0 {
			continue
		}
		prev := samples[i-1]
		if s[1] > prev[1]+1e-9 {
			t.Errorf("distance went back up: %.3f → %.3f", prev[1], s[1])
		}
		if dt := (s[0] - prev[0]) / 1000; dt > 0 && (prev[1]-s[1])/dt > maxSpeed {
			t.Errorf("distance moved %.2f m in %.0f ms: faster than the ease allows (%.2f m/s)", prev[1]-s[1], dt*1000, maxSpeed)
		}
	}
	if !between {
		t.Errorf("no frame drew the distance between 3 and 0.5 m: no easing (%d frames)", len(samples))
	}
	if last := samples[len(samples)-1][1]; last != 0.5 {
		t.Errorf("distance settled at %.3f, want 0.5", last)
	}
	if ok := MustEval[bool](p, `window.haven.event('spider_drops')`); !ok {
		t.Error("spider_drops was not accepted by the spiders template")
	}
	if ok := MustEval[bool](p, `window.haven.event('gust')`); ok {
		t.Error("a heights event was accepted by the spiders template")
	}
}

// TestGazeDwellOnBreakTarget looks at the 3D "I need a break" target in the
// headset (an emulated Quest 3) and holds the gaze: after the 1.5 s dwell
// the client goes calm on its own.
func TestGazeDwellOnBreakTarget(t *testing.T) {
	b := NewBrowser(t)
	srv := StaticServer(t)
	p := openPreview(t, b, srv.URL, "&iwer=quest3")
	loadAndSettle(t, p, "crowds", rangeEnds["crowds"][1])
	MustEval[string](p, `window.haven.enterXR()`)
	p.WaitFor(`window.haven.state.xr === true`, 5*time.Second)
	// the target sits 1.6 m ahead and 0.67 m below the eyes: the head pitches down by atan(0.67/1.6)
	// The page records when the gaze began and when the break panel first
	// showed (a timer: the window's animation frames stop in an XR session).
	MustEval[any](p, `(() => { const a = Math.atan2(-0.67, 1.6); window.havenXRDevice.quaternion.set(Math.sin(a / 2), 0, 0, Math.cos(a / 2));
	  window.__gazeAt = performance.now(); window.__breakAt = 0;
	  const watch = setInterval(() => { if (window.haven.state.panel === 'break') { window.__breakAt = performance.now(); clearInterval(watch); } }, 10);
	  return true; })()`)
	// the dwell counts rendered time, and software WebGL draws a full crowd in stereo slowly (a few frames a second on a loaded machine)
	p.WaitFor(`window.haven.state.panel === "break" && window.haven.state.scene.template === "neutral_room" && window.__breakAt > 0`, time.Minute)
	if held := MustEval[float64](p, `window.__breakAt - window.__gazeAt`); held < 1500 {
		t.Errorf("break fired %.0f ms into the gaze, before the 1.5 s dwell", held)
	}
	MustEval[any](p, `window.haven.exitXR().then(() => true)`)
}
