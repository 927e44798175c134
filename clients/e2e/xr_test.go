package e2e

import (
	"testing"
	"time"
)

// TestImmersiveVRWithIWER enters immersive-vr on an emulated Meta Quest 3
// (IWER, forceInstall) and screenshots while the XR loop is still running —
// a stopped loop leaves a blank canvas (shared/RECIPES.md).
func TestImmersiveVRWithIWER(t *testing.T) {
	b := NewBrowser(t)
	srv := StaticServer(t)
	for _, posture := range []struct{ name, space string }{{"standing", "local-floor"}, {"seated", "local"}} {
		t.Run(posture.name, func(t *testing.T) {
			p := openPreview(t, b, srv.URL, "&iwer=quest3")
			MustEval[any](p, `(window.haven.setComfort({posture: '`+posture.name+`'}), true)`)
			loadAndSettle(t, p, "heights", rangeEnds["heights"][1])
			space := MustEval[string](p, `window.haven.enterXR()`)
			if space != posture.space {
				t.Errorf("reference space %q, want %q", space, posture.space)
			}
			p.WaitFor(`window.haven.state.xr === true`, 5*time.Second)
			// let the XR loop render a few frames, then capture while it runs
			before := MustEval[int](p, `window.haven.state.info.frame`)
			framesIn(p, 5)
			info := MustEval[renderInfo](p, `window.haven.state.info`)
			after := MustEval[int](p, `window.haven.state.info.frame`)
			if after <= before {
				t.Fatalf("XR loop not running: frame %d → %d", before, after)
			}
			shot := p.Screenshot()
			SaveArtifact(t, "xr-heights-"+posture.name+".png", shot)
			st, err := Stats(shot)
			if err != nil {
				t.Fatal(err)
			}
			if st.Colours < 8 {
				t.Errorf("XR screenshot looks blank: %d colours", st.Colours)
			}
			t.Logf("XR stereo: %d draw calls, %d triangles (both eyes)", info.Calls, info.Triangles)
			MustEval[any](p, `window.haven.exitXR().then(() => true)`)
			p.WaitFor(`window.haven.state.xr === false`, 5*time.Second)
		})
	}
}

// TestControllerSqueezeRequestsBreak presses the grip of the emulated right
// Quest controller during an immersive session: the client goes calm at once.
func TestControllerSqueezeRequestsBreak(t *testing.T) {
	b := NewBrowser(t)
	srv := StaticServer(t)
	p := openPreview(t, b, srv.URL, "&iwer=quest3")
	loadAndSettle(t, p, "spiders", rangeEnds["spiders"][1])
	MustEval[string](p, `window.haven.enterXR()`)
	p.WaitFor(`window.haven.state.xr === true`, 5*time.Second)
	MustEval[bool](p, `new Promise(r => { const c = window.havenXRDevice.controllers.right;
		c.updateButtonValue('squeeze', 1); setTimeout(() => { c.updateButtonValue('squeeze', 0); r(true); }, 300); })`)
	p.WaitFor(`window.haven.state.panel === "break" && window.haven.state.scene.template === "neutral_room"`, 3*time.Second)
	SaveArtifact(t, "xr-break.png", p.Screenshot())
	MustEval[any](p, `window.haven.exitXR().then(() => true)`)
}
