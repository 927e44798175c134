package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenvr/haven/server/store"
)

// TestConsoleTherapistFlow is a therapist's working session, typed and
// clicked as a person would, in English, the pseudo-locale and Arabic:
// create a patient and review the screening, compose an environment with
// the live 3D preview, build a ladder (keyboard reorder, gap warning),
// schedule a session, run it live against a simulated patient (join code,
// intensity, SUDS, note, end) and open the report. Every page passes axe,
// has no missing message, is fully localized in en-XA and right-to-left in ar.
func TestConsoleTherapistFlow(t *testing.T) {
	env := StartConsole(t)
	b := NewBrowser(t)
	for _, locale := range []string{"en", "en-XA", "ar"} {
		t.Run(locale, func(t *testing.T) {
			p := env.SignIn(t, b, locale, store.RoleTherapist)
			MustEval[bool](p, `(() => { window.confirm = () => true; return true; })()`)
			code := "P-" + strings.ToUpper(store.RandomToken(4))
			patientID := createPatient(t, p, locale, code)
			composeEnvironment(t, p, locale)
			buildLadder(t, p, locale)
			scheduleSession(t, p, locale, patientID)
			// practising opens a copy of the session for the training patient
			sessionID := runLive(t, p, locale)
			Go(t, p, "#/sessions/"+sessionID+"/report")
			Wait(t, p, `document.querySelector('h2#sum-h') !== null`, 10*time.Second)
			if n := MustEval[int](p, `document.querySelectorAll('#tl-h ~ ol.timeline li').length`); n < 3 {
				t.Errorf("report timeline has %d rows, want the session's events", n)
			}
			checkReportExports(t, p)
			checkReportPhysiology(t, p, locale)
			CheckPage(t, p, locale, "flow-report")
		})
	}
}

func createPatient(t *testing.T, p *Page, locale, code string) string {
	t.Helper()
	Go(t, p, "#/patients")
	Do(t, p, chromedp.SendKeys(`input[name=code]`, code), chromedp.SendKeys(`input[name=birth_year]`, "1990"),
		chromedp.Click(`#new-patient-h ~ button[type=submit]`))
	Wait(t, p, `location.hash.startsWith('#/patients/') && window.havenConsole.ready && document.querySelector('#screen-h')`, 10*time.Second)
	id := MustEval[string](p, `decodeURIComponent(location.hash.split('/')[2])`)
	// flag an item: exposure is blocked until the therapist acknowledges it
	Do(t, p, chromedp.Click(`input[name=epilepsy]`), chromedp.Click(`#screen-h ~ .actions button[type=submit]`))
	Wait(t, p, `[...document.querySelectorAll('#screen-h ~ .actions button')].length === 2`, 10*time.Second)
	CheckPage(t, p, locale, "flow-patient-flagged")
	Do(t, p, chromedp.Click(`#screen-h ~ .actions button.primary`))
	Wait(t, p, `document.querySelectorAll('#screen-h ~ .actions button').length === 1 && document.querySelector('#screen-h ~ p.ok')`, 10*time.Second)
	return id
}

func composeEnvironment(t *testing.T, p *Page, locale string) {
	t.Helper()
	Go(t, p, "#/environments")
	Do(t, p, chromedp.Click(`a[data-template=heights]`))
	Wait(t, p, `window.havenConsole.ready && document.querySelector('.preview[data-ready="1"]') && window.havenConsole.preview`, 30*time.Second)
	before := MustEval[float64](p, `window.havenConsole.preview.scene().params.floor`)
	// keyboard on the intensity slider: 50 → 100 in steps of 5
	Do(t, p, chromedp.Focus(`#intensity`))
	for i := 0; i < 10; i++ {
		Do(t, p, chromedp.KeyEvent(kb.ArrowUp)) // Up raises a slider in both text directions
	}
	Wait(t, p, `Number(document.querySelector('input[name="params.floor"]').value) === 30`, 10*time.Second)
	Wait(t, p, `window.havenConsole.preview.scene().params.floor === 30`, 10*time.Second)
	if before == 30 {
		t.Errorf("preview floor was already 30 before the slider moved")
	}
	if info := MustEval[struct{ Calls float64 }](p, `window.havenConsole.preview.info()`); info.Calls < 1 || info.Calls > 100 {
		t.Errorf("preview draw calls = %v, want 1–100 (budget)", info.Calls)
	}
	Do(t, p, chromedp.SendKeys(`input[name=name]`, "High balcony"))
	CheckPage(t, p, locale, "flow-composer")
	Do(t, p, chromedp.Click(`#comp-h ~ .actions button[type=submit]`))
	Wait(t, p, `location.hash.startsWith('#/environments/') && !location.hash.includes('/new') && window.havenConsole.ready && document.querySelector('#comp-h')`, 10*time.Second)
}

func buildLadder(t *testing.T, p *Page, locale string) {
	t.Helper()
	Go(t, p, "#/protocols/new?template=heights&steps=10&start=40&mode=habituation")
	Wait(t, p, `document.querySelectorAll('ol.ladder > li').length === 10`, 20*time.Second)
	first := MustEval[string](p, `document.querySelector('ol.ladder > li').dataset.step`)
	// keyboard reorder: the first step's Down button
	Do(t, p, chromedp.Focus(`ol.ladder > li:first-child button.down`), chromedp.KeyEvent("\r"))
	Wait(t, p, fmt.Sprintf(`document.querySelectorAll('ol.ladder > li')[1].dataset.step === %q`, first), 5*time.Second)
	if !MustEval[bool](p, `document.activeElement.classList.contains('down')`) {
		t.Errorf("focus did not follow the moved step")
	}
	// a jump of more than 15 SUDS between neighbours warns at once
	Do(t, p, chromedp.SetValue(`input[name="steps[2].expected_suds"]`, "99"))
	MustEval[bool](p, `(() => { document.querySelector('input[name="steps[2].expected_suds"]').dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
	Wait(t, p, `document.querySelector('[role=status] ul.notice li') !== null`, 5*time.Second)
	CheckPage(t, p, locale, "flow-ladder")
	Do(t, p, chromedp.Click(`#lb-h ~ .actions button[type=submit]`))
	Wait(t, p, `location.hash.startsWith('#/protocols/') && !location.hash.includes('/new') && window.havenConsole.ready`, 10*time.Second)
}

func scheduleSession(t *testing.T, p *Page, locale, patientID string) string {
	t.Helper()
	Go(t, p, "#/sessions?patient="+patientID+"&protocol=heights_ladder")
	CheckPage(t, p, locale, "flow-schedule")
	Do(t, p, chromedp.Click(`#sched-h ~ button[type=submit]`))
	Wait(t, p, `/^#\/sessions\/[^/?]+$/.test(location.hash) && window.havenConsole.ready && window.havenConsole.live`, 15*time.Second)
	return MustEval[string](p, `decodeURIComponent(location.hash.split('/')[2])`)
}

// runLive practises the session with a simulated patient and returns the
// practice session's id (the console opens it).
func runLive(t *testing.T, p *Page, locale string) string {
	t.Helper()
	real := MustEval[string](p, `decodeURIComponent(location.hash.split('/')[2])`)
	Wait(t, p, `window.havenConsole.live.link === 'open'`, 15*time.Second)
	Do(t, p, chromedp.Click(`#join-h ~ .actions button.primary`))
	Wait(t, p, `/^[A-Z2-9]{4}-[A-Z2-9]{4}$/.test(document.querySelector('.joincode')?.textContent || '') && document.querySelector('#join-h ~ div img[src^="data:image/png"]')`, 10*time.Second)
	Do(t, p, chromedp.Click(`#join-h ~ .actions button:not(.primary)`)) // practise with a simulated patient
	Wait(t, p, fmt.Sprintf(`/^#\/sessions\/[^/?]+$/.test(location.hash) && !location.hash.endsWith(%q) && window.havenConsole.ready && window.havenConsole.live`, "/"+real), 15*time.Second)
	practice := MustEval[string](p, `decodeURIComponent(location.hash.split('/')[2])`)
	Wait(t, p, `window.havenConsole.live.patient === true && window.havenConsole.live.scene !== null`, 30*time.Second)
	Wait(t, p, `window.havenConsole.live.metrics >= 3`, 30*time.Second)
	Do(t, p, chromedp.Click(`button.ask-suds`))
	Wait(t, p, `window.havenConsole.live.suds.length >= 1`, 20*time.Second)
	Do(t, p, chromedp.SendKeys(`#note-text`, "Calm breathing before the next step."), chromedp.Click(`#nt-h ~ form button[type=submit]`))
	Wait(t, p, `document.querySelectorAll('ol.notes li').length === 1`, 5*time.Second)
	CheckPage(t, p, locale, "flow-live")
	// End starts the protocol's cool-down; a second End during it ends at once (confirm is stubbed).
	Do(t, p, chromedp.Click(`button.end-session`))
	Wait(t, p, `window.havenConsole.live.state === 'ended' || (window.havenConsole.live.phase || {}).name === 'cooldown'`, 20*time.Second)
	if MustEval[string](p, `window.havenConsole.live.state`) != "ended" {
		Do(t, p, chromedp.Click(`button.end-session`))
	}
	Wait(t, p, `window.havenConsole.live.state === 'ended'`, 20*time.Second)
	return practice
}

// exportDownload is one export link of the report, followed from the page.
type exportDownload struct {
	Format, Stream, Text, Href string
	Status                     int
	Type, Disposition, Head    string
	Lines                      int
	Body                       string
}

// checkReportExports follows every export link on the report page with the
// page's own credentials, as a click would download it: a CSV per stored
// stream (at least hr, rr and eda from the simulated patient), a FHIR R4
// Bundle and Open mHealth JSON, each 200 with a body of its format.
func checkReportExports(t *testing.T, p *Page) {
	t.Helper()
	got := MustEval[[]exportDownload](p, `Promise.all([...document.querySelectorAll('#ex-h ~ ul a[href]')].map(async (a) => {
	  const r = await fetch(a.href, { credentials: 'same-origin' });
	  const body = await r.text();
	  return { format: a.dataset.format || '', stream: a.dataset.stream || '', text: a.textContent, href: a.getAttribute('href'),
	    status: r.status, type: r.headers.get('content-type') || '', disposition: r.headers.get('content-disposition') || '',
	    head: body.slice(0, 120), lines: body.split('\n').filter(Boolean).length, body: a.dataset.format === 'csv' ? '' : body };
	}))`)
	seen := map[string]bool{}
	for _, d := range got {
		key := d.Format
		if d.Stream != "" {
			key += ":" + d.Stream
		}
		seen[key] = true
		if d.Status != 200 || !strings.Contains(d.Disposition, "attachment") || strings.TrimSpace(d.Text) == "" {
			t.Errorf("export %s (%s): status %d, disposition %q, label %q: %.200s", key, d.Href, d.Status, d.Disposition, d.Text, d.Head)
			continue
		}
		switch d.Format {
		case "csv":
			if !strings.HasPrefix(d.Type, "text/csv") || !strings.HasPrefix(d.Head, "t_unix_ms,time_utc,value,unit") || d.Lines < 2 {
				t.Errorf("CSV export %s: %s, %d lines: %q", d.Stream, d.Type, d.Lines, d.Head)
			}
		case "fhir":
			var bundle struct {
				ResourceType string
				Type         string
				Entry        []struct{ Resource struct{ ResourceType string } }
			}
			err := json.Unmarshal([]byte(d.Body), &bundle)
			kinds := map[string]int{}
			for _, e := range bundle.Entry {
				kinds[e.Resource.ResourceType]++
			}
			if err != nil || bundle.ResourceType != "Bundle" || kinds["Observation"] == 0 || kinds["Patient"] != 1 || kinds["Encounter"] != 1 {
				t.Errorf("FHIR export: %v, resourceType %q, %d entries: %.200s", err, bundle.ResourceType, len(bundle.Entry), d.Body)
			}
		case "omh":
			var doc any
			if err := json.Unmarshal([]byte(d.Body), &doc); err != nil || !strings.Contains(d.Body, `"schema_id"`) || !strings.Contains(d.Body, "heart-rate") {
				t.Errorf("Open mHealth export: %v: %.200s", err, d.Body)
			}
		default:
			t.Errorf("export link of unknown format %q: %s", d.Format, d.Href)
		}
	}
	for _, want := range []string{"csv:hr", "csv:rr", "csv:eda", "fhir", "omh"} {
		if !seen[want] {
			t.Errorf("report has no %s export link; links: %v", want, seen)
		}
	}
}

// reportChart is one physiology chart of the report as drawn.
type reportChart struct {
	Series string
	Points int
	Canvas bool
	Ink    int // canvas pixels in the series' colour
}

// checkReportPhysiology checks the "physiology by step" section: heart rate,
// RMSSD and EDA tonic charts each with data points drawn on their canvas
// (pixels in the series' colour), and the per-step table of averages.
func checkReportPhysiology(t *testing.T, p *Page, locale string) {
	t.Helper()
	const charts = `[...(document.querySelector('#phys-h')?.closest('section')?.querySelectorAll('section.chart') || [])].map((c) => {
	  const rgb = { hr: [161, 17, 42], rmssd: [11, 92, 173], eda: [29, 107, 54] }[c.dataset.series] || [0, 0, 0];
	  const cv = c.querySelector('canvas');
	  let ink = 0;
	  if (cv && cv.width) {
	    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
	    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 60) ink++;
	  }
	  return { series: c.dataset.series, points: Number(c.dataset.points || 0), canvas: !!cv, ink };
	})`
	Wait(t, p, charts+`.filter((c) => c.ink > 0).length === 3`, 10*time.Second)
	got := MustEval[[]reportChart](p, charts)
	if len(got) != 3 {
		t.Fatalf("report physiology: %d charts, want heart rate, RMSSD, EDA: %+v", len(got), got)
	}
	for _, c := range got {
		if !c.Canvas || c.Points < 2 || c.Ink < 10 {
			t.Errorf("report %s chart: canvas %v, %d points, %d pixels drawn", c.Series, c.Canvas, c.Points, c.Ink)
		}
	}
	if n := MustEval[int](p, `document.querySelectorAll('#phys-h ~ .table-wrap table tbody tr').length`); n < 1 {
		t.Errorf("report has no per-step averages (%d rows)", n)
	}
	MustEval[bool](p, `(document.querySelector('#phys-h').scrollIntoView(), true)`)
	SaveArtifact(t, "console-"+locale+"-flow-report-physiology.png", p.Screenshot())
	MustEval[bool](p, `(scrollTo(0, 0), true)`)
}
