package e2e

import (
	"fmt"
	"testing"
	"time"
)

type textReport struct {
	Texts   int    `json:"texts"`
	Empty   int    `json:"empty"`
	Dir     string `json:"dir"`
	Lang    string `json:"lang"`
	TextDir string `json:"textDir"`
	Font    string `json:"font"`
	Label   string `json:"label"`
}

// textsRendered reports every visible troika text in the scene and how many
// have laid out no glyphs (a missing font would leave them empty).
const textsRendered = `(() => {
	let texts = 0, empty = 0;
	window.haven.renderer.three.scene.traverse(o => {
		if (!o.textRenderInfo || !o.text || !o.visible) return;
		let shown = true; for (let n = o; n; n = n.parent) if (!n.visible) shown = false;
		if (!shown) return;
		texts++;
		if (!o.textRenderInfo.glyphBounds || o.textRenderInfo.glyphBounds.length === 0) empty++;
	});
	const s = window.haven.state;
	return { texts, empty, dir: document.documentElement.dir, lang: document.documentElement.lang,
		textDir: s.text.direction, font: s.text.font, label: document.getElementById('break').textContent };
})()`

// TestLocalesRenderTheirScripts checks that Arabic renders right-to-left and
// Chinese and Arabic glyphs come from the bundled fonts, on the DOM and on the
// 3D panels (drawn in the headset: an emulated Quest 3).
func TestLocalesRenderTheirScripts(t *testing.T) {
	b := NewBrowser(t)
	srv := StaticServer(t)
	cases := []struct {
		locale, dir, font, label string
	}{
		{"ar", "rtl", "fonts/NotoNaskhArabic-Regular.ttf", "أحتاج إلى استراحة"},
		{"zh-Hans", "ltr", "fonts/NotoSansHans-Regular.otf", ""},
		{"de", "ltr", "fonts/NotoSans-Regular.ttf", ""},
	}
	for _, tc := range cases {
		t.Run(tc.locale, func(t *testing.T) {
			// the 3D panels are drawn in the headset (outside it they are DOM): an emulated Quest 3
			p := b.NewPage(t, srv.URL+"/webxr/index.html?preview&iwer=quest3&locale="+tc.locale, 800, 450, `document.documentElement.dataset.ready === "1"`)
			MustEval[any](p, `(window.haven.pressBreak(), true)`) // shows the calm panel: title and body in the locale
			MustEval[string](p, `window.haven.enterXR()`)
			p.WaitFor(`window.haven.state.xr === true`, 5*time.Second)
			p.WaitFor(textsRendered+`.texts >= 3 && `+textsRendered+`.empty === 0`, 30*time.Second)
			rep := MustEval[textReport](p, textsRendered)
			if rep.Dir != tc.dir || rep.TextDir != tc.dir || rep.Lang != tc.locale || rep.Font != tc.font {
				t.Errorf("%s: html dir %q lang %q, 3D text dir %q font %q; want %q, %q", tc.locale, rep.Dir, rep.Lang, rep.TextDir, rep.Font, tc.dir, tc.font)
			}
			if tc.label != "" && rep.Label != tc.label {
				t.Errorf("%s: break button says %q, want %q", tc.locale, rep.Label, tc.label)
			}
			if rep.Label == "client.break.button" {
				t.Errorf("%s: message id shown instead of text", tc.locale)
			}
			framesIn(p, 5) // the texts drawn, in both eyes
			SaveArtifact(t, fmt.Sprintf("locale-%s.png", tc.locale), p.Screenshot())
			MustEval[any](p, `window.haven.exitXR().then(() => true)`)
		})
	}
}
