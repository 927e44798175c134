package protocols

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/havenvr/haven/environments"
)

const minute = 60_000

func catalog(t testing.TB) *environments.Catalog {
	t.Helper()
	c, err := environments.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func library(t testing.TB) (*environments.Catalog, *Library) {
	t.Helper()
	cat := catalog(t)
	l, err := BuiltinLibrary(cat)
	if err != nil {
		t.Fatal(err)
	}
	return cat, l
}

// proto returns a copy of a library protocol with settings and mode changed.
func proto(t testing.TB, id, mode string, s Settings) *Protocol {
	t.Helper()
	_, l := library(t)
	p, ok := l.Get(id)
	if !ok {
		t.Fatalf("no protocol %s", id)
	}
	cp := *p
	cp.Settings = s
	if mode != "" {
		cp.Mode = mode
	}
	return &cp
}

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }
func tick(ms int64) Event   { return Event{Type: EvTick, ElapsedMs: ms} }
func suds(v int) Event      { return Event{Type: EvSUDS, SUDS: ip(v)} }
func cmd(c string) Event    { return Event{Type: EvTherapist, Command: c} }
func start() Event          { return Event{Type: EvStart} }
func expect(ph string, v int) Event {
	return Event{Type: EvExpectancy, Phase: ph, Likelihood: ip(v)}
}

// session drives an engine; in(…) returns the commands of those events.
type session struct {
	t *testing.T
	e *Engine
}

func newSession(t *testing.T, p *Protocol, pat Patient) *session {
	t.Helper()
	e, err := NewEngine(Config{Protocol: p, Catalog: catalog(t), Patient: pat})
	if err != nil {
		t.Fatal(err)
	}
	return &session{t: t, e: e}
}

func (s *session) in(evs ...Event) []Command {
	var out []Command
	for _, ev := range evs {
		out = append(out, s.e.Handle(ev)...)
	}
	return out
}

// toStep1 runs the baseline and lets the therapist enter step 1.
func (s *session) toStep1() []Command {
	return s.in(start(), tick(3*minute), cmd(TAdvance))
}

func find(cmds []Command, typ string) []Command {
	var out []Command
	for _, c := range cmds {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

// record is a command's record as its JSON fields, numbers as written.
func record(c Command) map[string]any {
	b, err := c.Record()
	if err != nil {
		panic(err)
	}
	m := map[string]any{}
	if b != nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			panic(err)
		}
	}
	return m
}

// has: one of cmds is of type typ and its record has the given key/value
// pairs (values compared as printed: 153.0 matches a recorded 153).
func has(cmds []Command, typ string, kv ...any) bool {
	for _, c := range find(cmds, typ) {
		rec := record(c)
		ok := true
		for i := 0; i+1 < len(kv); i += 2 {
			if v, in := rec[kv[i].(string)]; !in || fmt.Sprint(v) != fmt.Sprint(kv[i+1]) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func suggestions(cmds []Command) []string {
	var out []string
	for _, c := range find(cmds, "suggest") {
		s := c.Body.(Suggest)
		out = append(out, s.Action+"/"+s.Reason)
	}
	return out
}
