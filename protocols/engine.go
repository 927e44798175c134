package protocols

import (
	"fmt"
	"strings"

	"github.com/havenvr/haven/environments"
)

// Engine phases.
const (
	phaseIdle     = "idle"
	phaseBaseline = "baseline"
	phaseBlock    = "block"
	phaseCooldown = "cooldown"
	phaseEnded    = "ended"
)

// CalmTemplate is the "calm now" and hard-stop scene (the neutral room).
const CalmTemplate = "neutral_room"

// MaxTickMs bounds one tick (a day) so the engine clock cannot overflow.
const MaxTickMs = 24 * 60 * 60 * 1000

// HardStopFadeMs is how long the client fades to neutral on a hard stop.
const HardStopFadeMs = 3000

// Patient is what the engine needs from the patient record.
type Patient struct {
	Age int `json:"age,omitempty"`
	// Flags are screening items ticked on the record (CLINICAL.md §5);
	// Acknowledged lists those a therapist has acknowledged.
	Flags        []string `json:"flags,omitempty"`
	Acknowledged []string `json:"acknowledged,omitempty"`
	Settings     Settings `json:"settings"`
}

// Config builds an engine.
type Config struct {
	Protocol *Protocol
	Catalog  *environments.Catalog
	Patient  Patient
}

// Engine is the deterministic session state machine: Handle(event) returns
// commands. It holds no clock (tick events advance it) and does no I/O, so a
// recorded event log replays to identical commands.
type Engine struct {
	p   *Protocol
	cat *environments.Catalog
	tpl *environments.Template
	s   Settings
	pat Patient

	now, phaseEnd int64
	phase         string
	out           []Command

	paused      bool
	pauseReason string
	pausedAt    int64
	blocked     []string

	ex exposureState
	ca calmingState
	ad adaptiveState
}

// Settings are the engine's effective settings: the protocol's, with the
// patient's overrides, then the defaults.
func (e *Engine) Settings() Settings { return e.s }

// NewEngine validates the protocol and prepares an engine in the idle state.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Protocol == nil || cfg.Catalog == nil {
		return nil, fmt.Errorf("protocols: new engine: protocol and catalog are required")
	}
	if err := cfg.Protocol.Validate(cfg.Catalog); err != nil {
		return nil, fmt.Errorf("protocols: new engine: %w", err)
	}
	tpl, _ := cfg.Catalog.Get(cfg.Protocol.Template)
	e := &Engine{p: cfg.Protocol, cat: cfg.Catalog, tpl: tpl, pat: cfg.Patient, phase: phaseIdle,
		s: cfg.Protocol.Settings.Merge(cfg.Patient.Settings).Defaults()}
	e.ex.step = -1
	e.ad.level = -1
	for _, f := range cfg.Patient.Flags {
		if !contains(cfg.Patient.Acknowledged, f) {
			e.blocked = append(e.blocked, f)
		}
	}
	return e, nil
}

// Replay runs a whole event log through a fresh engine.
func Replay(cfg Config, events []Event) ([]Command, error) {
	e, err := NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	var out []Command
	for _, ev := range events {
		out = append(out, e.Handle(ev)...)
	}
	return out, nil
}

func (e *Engine) emit(c Cmd) { e.out = append(e.out, NewCommand(e.now, c)) }

// Phase names the engine's timed phase — "baseline" or "cooldown" — and the
// engine time left in it (ms); other phases have no deadline and return
// ("", 0). The console shows these as countdowns.
func (e *Engine) Phase() (string, int64) {
	if e.phase != phaseBaseline && e.phase != phaseCooldown {
		return "", 0
	}
	return e.phase, max(e.phaseEnd-e.now, 0)
}

// Handle feeds one event and returns the commands it causes.
func (e *Engine) Handle(ev Event) []Command {
	e.out = nil
	if e.phase == phaseEnded {
		// Post-session measures (SSQ after, CLINICAL.md §5) and notes are
		// still recorded; nothing else acts on an ended session.
		switch {
		case ev.Type == EvTick && ev.ElapsedMs >= 0 && ev.ElapsedMs <= MaxTickMs:
			e.now += ev.ElapsedMs // time still passes: later records keep their times
		case ev.Type == EvQuestionnaire:
			e.onQuestionnaire(ev)
		case ev.Type == EvTherapist && ev.Command == TNote:
			e.emit(NoteEntry{Note: ev.Note})
		case ev.Type == EvTherapist:
			e.refuse(ev.Command, "session_ended")
		}
		return e.out
	}
	switch ev.Type {
	case EvStart:
		e.start(ev.PriorExposureMs)
	case EvTick:
		if ev.ElapsedMs < 0 || ev.ElapsedMs > MaxTickMs {
			e.emit(Rejected{Type: EvTick, Reason: "tick_range"})
			break
		}
		e.tick(ev.ElapsedMs)
	case EvSUDS:
		e.onSUDS(ev)
	case EvExpectancy:
		e.onExpectancy(ev)
	case EvAlert:
		e.onAlert(ev)
	case EvMetrics:
		e.onMetrics(ev)
	case EvAvoidance:
		e.onAvoidance(ev)
	case EvBreak:
		// Step back one item on a break (CLINICAL.md §2, a safety rule in
		// both models); on the lowest step the calm scene is all there is.
		e.softPause("break_requested")
		if e.isExposureBlock() && e.ex.step > 0 {
			e.suggest(TStepBack, "break_requested")
		}
	case EvDizziness:
		e.softPause("dizziness")
	case EvPatientStop:
		e.hardStop("patient_stop")
	case EvSeizure:
		e.hardStop("seizure_signs")
	case EvPatientNext:
		e.nextSegment("patient")
	case EvConnLost:
		e.emit(ConnectionEntry{State: "lost"})
		e.pause("connection_lost", false)
	case EvConnRestored:
		// The client resumes only on the therapist's word (DESIGN.md §3).
		e.emit(ConnectionEntry{State: "restored"})
	case EvQuestionnaire:
		e.onQuestionnaire(ev)
	case EvTherapist:
		e.onTherapist(ev)
	default:
		e.emit(Rejected{Type: ev.Type, Reason: "unknown_event"})
	}
	return e.out
}

func (e *Engine) start(priorExposureMs int64) {
	if e.phase != phaseIdle {
		e.emit(Rejected{Type: EvStart, Reason: "already_started"})
		return
	}
	started := SessionStarted{Protocol: e.p.ID, ProtocolHash: e.p.Hash(), Mode: e.p.Mode, ProtocolKind: e.p.Kind}
	if e.p.Kind == KindExposure {
		e.ex.budgetMs = e.exposureBudget(priorExposureMs)
		started.ExposureBudgetMs = e.ex.budgetMs
	}
	e.emit(started)
	b := e.p.Session.Baseline
	t, _ := e.cat.Get(b.Template)
	e.phase, e.phaseEnd = phaseBaseline, e.now+int64(b.DurationS)*1000
	e.emit(SceneLoad{Template: b.Template, Params: t.Defaults(), Reason: "baseline"})
	e.emit(BaselineStart{DurationMs: int64(b.DurationS) * 1000})
}

// tick advances the clock by ms, firing every timer that comes due on the
// way, in time order, each stamped with the time it was due. Timers are the
// only thing that acts on elapsed time, so the commands and their times do
// not depend on how the time was sliced into ticks (TestTickSlicing). While
// paused no timer runs: nothing advances.
func (e *Engine) tick(ms int64) {
	target := e.now + ms
	// Every timer that fires moves itself past now or switches off; the
	// bound only keeps a future bug from hanging a session.
	for range 100_000 {
		due, ok := e.nextDue()
		if !ok || due > target || e.phase == phaseEnded {
			break
		}
		e.advanceTo(max(due, e.now))
		e.fireDue()
	}
	e.advanceTo(target)
}

// advanceTo moves the clock, counting exposure time for the cybersickness
// budget (time in an exposure step, not paused).
func (e *Engine) advanceTo(t int64) {
	if e.isExposureBlock() && !e.paused {
		e.ex.exposedMs += t - e.now
	}
	e.now = t
}

// nextDue is the earliest running timer of the current phase.
func (e *Engine) nextDue() (int64, bool) {
	if e.paused {
		return 0, false
	}
	var best int64
	ok := false
	at := func(t int64) {
		if !ok || t < best {
			best, ok = t, true
		}
	}
	switch {
	case e.phase == phaseBaseline || e.phase == phaseCooldown:
		at(e.phaseEnd)
	case e.phase == phaseBlock && e.p.Kind == KindCalming:
		if s := e.p.Script[e.ca.seg]; !s.PatientPaced {
			at(e.ca.segStart + s.Ms())
		}
	case e.isExposureBlock():
		e.exposureTimers(at)
	}
	return best, ok
}

// fireDue fires the timers due at e.now.
func (e *Engine) fireDue() {
	switch {
	case (e.phase == phaseBaseline || e.phase == phaseCooldown) && e.phaseEnd <= e.now:
		if e.phase == phaseBaseline {
			e.emit(BaselineEnd{})
			e.beginBlock()
		} else {
			e.endSession("completed")
		}
	case e.phase == phaseBlock && e.p.Kind == KindCalming:
		if s := e.p.Script[e.ca.seg]; !s.PatientPaced && e.ca.segStart+s.Ms() <= e.now {
			e.advanceSegment(e.ca.segStart + s.Ms())
		}
	case e.isExposureBlock():
		e.fireExposure()
	}
}

func (e *Engine) beginBlock() {
	e.phase = phaseBlock
	if e.p.Kind == KindCalming {
		e.startScript()
		return
	}
	if len(e.blocked) > 0 {
		e.emit(ExposureBlocked{Flags: e.blocked, Reason: "screening_unacknowledged"})
		return
	}
	// Only a therapist escalates exposure: the engine only suggests step 1.
	e.suggest(TAdvance, "baseline_done")
}

func (e *Engine) isExposureBlock() bool {
	return e.phase == phaseBlock && e.p.Kind == KindExposure && e.ex.step >= 0
}

// softPause goes to calm, alerts the therapist and waits for their word
// (CLINICAL.md §5).
func (e *Engine) softPause(reason string) { e.pause(reason, true) }

func (e *Engine) pause(reason string, calm bool) { e.pauseWith(reason, calm, 0) }

// pauseWith is pause with the input its reason's text needs: the count of
// unanswered prompts of suds_unanswered, carried by the alert and
// session.paused, so that the text follows the session's settings.
func (e *Engine) pauseWith(reason string, calm bool, count int) {
	if e.phase == phaseIdle || e.phase == phaseEnded {
		return
	}
	if calm {
		t, _ := e.cat.Get(CalmTemplate)
		e.emit(CalmNow{Reason: reason, Template: CalmTemplate, Params: t.Defaults()})
	}
	e.emit(Alert{Reason: reason, Count: count})
	if e.paused {
		return
	}
	e.paused, e.pauseReason, e.pausedAt = true, reason, e.now
	e.ex.promptOpen = false
	if e.ca.pacing {
		e.emit(BreathingStop{Reason: "paused"})
		e.ca.pacing = false
	}
	e.emit(SessionPaused{Reason: reason, Count: count})
}

func (e *Engine) resume() {
	held := e.now - e.pausedAt
	e.paused, e.pauseReason = false, ""
	e.emit(SessionResumed{PausedMs: &held})
	// The pause is accounted once, here: every running timer moves by it.
	e.ad.since += held
	switch {
	case e.phase == phaseBaseline || e.phase == phaseCooldown:
		e.phaseEnd += held
		sc, reason := e.p.Session.Baseline.Template, "baseline"
		if e.phase == phaseCooldown {
			sc, reason = e.p.Session.Cooldown.Template, "cooldown"
		}
		t, _ := e.cat.Get(sc)
		e.emit(SceneLoad{Template: sc, Params: t.Defaults(), Reason: reason})
	case e.phase == phaseBlock && e.p.Kind == KindCalming:
		e.ca.segStart += held
		e.enterSegment(false)
	case e.phase == phaseBlock && e.ex.step >= 0:
		// Dwell counts exposure time only, so the pause is not dwell.
		e.ex.stepStart += held
		e.loadStepScene("resume")
		e.promptSUDS("resume")
	}
}

// hardStop fades to neutral, tells the patient to remove the headset, writes
// an incident and ends the session (CLINICAL.md §5).
func (e *Engine) hardStop(reason string) {
	e.emit(HardStop{Reason: reason, Template: CalmTemplate, FadeMs: HardStopFadeMs, TextKey: "proto.hard_stop.remove_headset"})
	step := e.stepID()
	e.emit(Incident{Reason: reason, Phase: e.phase, Step: &step})
	e.phase = phaseEnded
	e.recordExposure()
	e.emit(SessionEnd{Reason: "hard_stop"})
}

// recordExposure puts the session's exposure time on the timeline: the next
// session's cybersickness budget starts from it.
func (e *Engine) recordExposure() {
	if e.ex.exposedMs > 0 {
		e.emit(ExposureEntry{ExposedMs: e.ex.exposedMs})
	}
}

func (e *Engine) stepID() string {
	if e.ex.step < 0 || e.p.Kind != KindExposure {
		return ""
	}
	return e.p.Steps[e.ex.step].ID
}

// finishBlock moves to the cool-down scene.
func (e *Engine) finishBlock(reason string) {
	if e.phase == phaseBlock && e.p.Kind == KindExposure && e.ex.step >= 0 {
		e.exitStep(!e.paused)
	}
	if e.ca.pacing {
		e.emit(BreathingStop{})
		e.ca.pacing = false
	}
	c := e.p.Session.Cooldown
	e.paused = false
	e.phase, e.phaseEnd = phaseCooldown, e.now+int64(c.DurationS)*1000
	t, _ := e.cat.Get(c.Template)
	e.emit(CooldownStart{Reason: reason, DurationMs: int64(c.DurationS) * 1000})
	e.emit(SceneLoad{Template: c.Template, Params: t.Defaults(), Reason: "cooldown"})
	if c.DurationS == 0 {
		e.endSession(reason)
	}
}

func (e *Engine) endSession(reason string) {
	e.phase = phaseEnded
	e.recordExposure()
	e.emit(SessionEnd{Reason: reason})
}

func (e *Engine) refuse(cmd, reason string) {
	e.emit(Refused{Command: cmd, Reason: reason})
}

// suggest offers the therapist one action (CLINICAL.md §2: the engine
// suggests, the therapist confirms). The engine never suggests what it would
// refuse at that moment: callers pick an executable action (calm instead of
// a step back from the lowest step), and anything else is dropped here
// (TestSuggestionsAreExecutable). A suggestion repeating the last one is not
// sent again.
func (e *Engine) suggest(action, reason string) {
	// While the cybersickness budget's cool-down suggestion stands, it is the
	// standing suggestion: only the high-SUDS safety suggestions still come.
	// Once the therapist dismisses it, the SUDS-based suggestions continue.
	if e.ex.budgetSaid && !e.ex.budgetDismissed && (action == TAdvance || action == TStay) && !strings.HasPrefix(reason, "suds_high") {
		return
	}
	key := action + "/" + reason
	if e.ex.lastSuggest == key || e.refusal(action) != "" {
		return
	}
	e.ex.lastSuggest = key
	e.emit(Suggest{Action: action, Reason: reason, StepID: e.stepID()})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
