package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/groups"
	"github.com/havenvr/haven/server/store"
)

// callers are the matrix's roles, in the order of a row's statuses. Every
// caller belongs to the own clinic.
var callers = []string{"anonymous", "patient", "member", "moderator", "therapist", "admin"}

// access is one route's expected statuses, one per caller, as
// space-separated numbers: own names the own clinic's resources in the path,
// other the other clinic's. Routes whose path names no clinic resource
// (lists, built-ins, capability codes) give the same request in both.
type access struct{ own, other string }

// matrix has a row for every route the Echo router serves (see
// TestAccessMatrix). Statuses after the access check are exact too: an empty
// or invalid body gives 400/415/422 where the route admits the caller, so the
// row shows the request reached the handler and went no further.
var matrix = map[string]access{
	// Callers:                          anon  pat  mem  mod  ther admin
	"DELETE /api/groups/phrases/:locale/:kind": {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	// Archiving (sorted first) leaves the own composition and protocol
	// readable by the GET rows; the restore rows bring them back for PUT.
	"DELETE /api/compositions/:id":                {"401 401 401 403 204 204", "401 401 401 403 404 404"},
	"DELETE /api/protocols/:id":                   {"401 401 401 403 204 204", "401 401 401 403 404 404"},
	"DELETE /api/i18n/overrides/:locale/:id":      {"401 401 401 403 403 404", "401 401 401 403 403 404"},
	"DELETE /api/sessions/:id/console/whip/:peer": {"401 401 401 403 404 404", "401 401 401 403 404 404"},
	"DELETE /api/sessions/:id/whip/:peer":         {"401 404 401 401 401 401", "401 401 401 401 401 401"},
	// The admin deletes the own clinic's spare account; the other clinic's is 404.
	"DELETE /api/users/:id":                    {"401 401 401 403 403 204", "401 401 401 403 403 404"},
	"GET /*":                                   {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /api/audit":                           {"401 401 401 403 403 200", "401 401 401 403 403 200"},
	"GET /api/clinic":                          {"401 401 401 200 200 200", "401 401 401 200 200 200"},
	"GET /api/compositions":                    {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/compositions/:id":                {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/compositions/:id/revisions":      {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/compositions/:id/revisions/:rev": {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	// Public by capability: the own room's code in both columns.
	// The stream of notifications, cut to a moment by the test.
	"GET /api/events":                            {"401 401 401 200 200 200", "401 401 401 200 200 200"},
	"GET /api/groups/join/:code":                 {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /api/groups/phrases/:locale/:kind":      {"401 401 401 200 200 200", "401 401 401 200 200 200"},
	"GET /api/groups/resources":                  {"401 401 401 200 200 200", "401 401 401 200 200 200"},
	"GET /api/groups/rooms":                      {"401 401 401 200 200 200", "401 401 401 200 200 200"},
	"GET /api/groups/rooms/:id":                  {"401 401 401 200 200 200", "401 401 401 404 404 404"},
	"GET /api/groups/rooms/:id/audit":            {"401 401 401 200 200 200", "401 401 401 404 404 404"},
	"GET /api/groups/rooms/:id/queue":            {"401 401 401 200 200 200", "401 401 401 404 404 404"},
	"GET /api/i18n/coverage":                     {"401 401 401 403 403 200", "401 401 401 403 403 200"},
	"GET /api/i18n/locales":                      {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /api/i18n/messages":                     {"422 422 422 422 422 422", "422 422 422 422 422 422"},
	"GET /api/i18n/overrides":                    {"401 401 401 403 403 200", "401 401 401 403 403 200"},
	"GET /api/invites/:token":                    {"404 404 404 404 404 404", "404 404 404 404 404 404"},
	"GET /api/me":                                {"401 401 401 200 200 200", "401 401 401 200 200 200"},
	"GET /api/openapi.json":                      {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /api/patients":                          {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/patients/:id":                      {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/patients/:id/ladder":               {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/patients/:id/questionnaires":       {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/protocols":                         {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/protocols/:id":                     {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/protocols/:id/revisions":           {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/protocols/:id/revisions/:rev":      {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/protocols/library":                 {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/protocols/library/:id":             {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/sessions":                          {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/sessions/:id":                      {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/sessions/:id/export/:format":       {"401 401 401 403 422 422", "401 401 401 403 404 404"},
	"GET /api/sessions/:id/report":               {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/sessions/:id/report/series":        {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/sessions/:id/timeline":             {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/sessions/:id/events":               {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"GET /api/templates":                         {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/templates/:id":                     {"401 401 401 403 200 200", "401 401 401 403 200 200"},
	"GET /api/templates/:id/params":              {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"GET /api/users":                             {"401 401 401 403 403 200", "401 401 401 403 403 200"},
	"GET /healthz":                               {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /j/:code":                               {"302 302 302 302 302 302", "302 302 302 302 302 302"},
	"GET /readyz":                                {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /room":                                  {"302 302 302 302 302 302", "302 302 302 302 302 302"},
	"GET /room/*":                                {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"GET /xr":                                    {"302 302 302 302 302 302", "302 302 302 302 302 302"},
	"GET /xr/*":                                  {"200 200 200 200 200 200", "200 200 200 200 200 200"},
	"PATCH /api/clinic":                          {"401 401 401 403 403 200", "401 401 401 403 403 200"},
	"PATCH /api/patients/:id":                    {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"PATCH /api/sessions/:id/console/whip/:peer": {"401 401 401 403 404 404", "401 401 401 403 404 404"},
	"PATCH /api/sessions/:id/whip/:peer":         {"401 404 401 401 401 401", "401 401 401 401 401 401"},
	"POST /api/auth/login":                       {"401 401 401 401 401 401", "401 401 401 401 401 401"},
	"POST /api/compositions":                     {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"POST /api/compositions/:id/restore":         {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"POST /api/groups/join":                      {"404 404 404 404 404 404", "404 404 404 404 404 404"},
	"POST /api/groups/rooms":                     {"401 401 401 422 422 422", "401 401 401 422 422 422"},
	"POST /api/groups/rooms/:id/actions":         {"401 401 401 422 422 422", "401 401 401 404 404 404"},
	"POST /api/groups/rooms/:id/moderator-peer":  {"401 401 401 415 415 415", "401 401 401 404 404 404"},
	"POST /api/groups/rooms/:id/peer":            {"401 401 415 401 401 401", "401 401 401 401 401 401"},
	"POST /api/groups/rooms/:id/queue/:item":     {"401 401 401 422 422 422", "401 401 401 404 404 404"},
	"POST /api/invites":                          {"401 401 401 403 403 422", "401 401 401 403 403 422"},
	"POST /api/invites/:token/accept":            {"422 422 422 422 422 422", "422 422 422 422 422 422"},
	"POST /api/join":                             {"404 404 404 404 404 404", "404 404 404 404 404 404"},
	"POST /api/ladders/generate":                 {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"POST /api/me/password":                      {"401 401 401 422 422 422", "401 401 401 422 422 422"},
	"POST /api/patients":                         {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"POST /api/patients/:id/ladder":              {"401 401 401 403 422 422", "401 401 401 403 404 404"},
	"POST /api/patients/:id/questionnaires":      {"401 401 401 403 422 422", "401 401 401 403 404 404"},
	"POST /api/patients/:id/screening/ack":       {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"POST /api/protocols":                        {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"POST /api/protocols/:id/restore":            {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	"POST /api/sessions":                         {"401 401 401 403 404 404", "401 401 401 403 404 404"},
	"POST /api/sessions/:id/console/whip":        {"401 401 401 403 415 415", "401 401 401 403 404 404"},
	// The therapist ends the spare session; the admin then finds it ended (409).
	"POST /api/sessions/:id/end":       {"401 401 401 403 200 409", "401 401 401 403 404 404"},
	"POST /api/sessions/:id/join-code": {"401 401 401 403 200 200", "401 401 401 403 404 404"},
	// On the spare session, ended by the row above: 409 after the access check.
	"POST /api/sessions/:id/simulate": {"401 401 401 403 409 409", "401 401 401 403 404 404"},
	// Bearer routes: another clinic's session or room does not match the token (401).
	"POST /api/sessions/:id/whip": {"401 415 401 401 401 401", "401 401 401 401 401 401"},
	// Another clinic's account is 404; the own admin enables (already
	// enabled or disabled above: 204) and issues a reset link.
	"POST /api/users/:id/enable":            {"401 401 401 403 403 204", "401 401 401 403 403 404"},
	"POST /api/users/:id/password-reset":    {"401 401 401 403 403 201", "401 401 401 403 403 404"},
	"PUT /api/compositions/:id":             {"401 401 401 403 422 422", "401 401 401 403 404 404"},
	"PUT /api/groups/phrases/:locale/:kind": {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"PUT /api/groups/resources":             {"401 401 401 403 422 422", "401 401 401 403 422 422"},
	"PUT /api/i18n/overrides":               {"401 401 401 403 403 422", "401 401 401 403 403 422"},
	"PUT /api/protocols/:id":                {"401 401 401 403 422 422", "401 401 401 403 404 404"},
	// Runs last; the own column signs the callers out, so the other column is 401.
	"POST /api/auth/logout": {"401 401 401 204 204 204", "401 401 401 401 401 401"},
}

// TestAccessMatrix calls every route the Echo router serves as every role —
// anonymous, a patient's join token (from POST /api/join), a support-group
// member token, moderator, therapist, clinic admin — against the own clinic's
// resources and the other clinic's, and asserts the exact status of each
// call. Another clinic's resources are always 404 (or 401 for bearer tokens,
// which name their one session or room), and no 2xx answer anywhere holds an
// id or name of the other clinic: 0 cross-tenant reads. A route the router
// serves without a row here fails the test.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	// Every join below comes from 127.0.0.1: lift the guessing limits.
	lim := groups.DefaultLimits()
	lim.JoinsPerMinute, lim.JoinBurst = 1e6, 1e6
	s.App.Groups.SetLimits(lim)
	var tick atomic.Int64
	base := time.Now()
	s.App.Live.SetLimitClock(func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Minute) })
	s.App.Notify.SetStreamFor(50 * time.Millisecond)

	own, other := newTenant(t, s, "Own clinic", true), newTenant(t, s, "Other clinic", false)
	own.publicCode, other.publicCode = own.roomCode, own.roomCode
	clients := []caller{
		{name: "anonymous", c: s.Anonymous(t)},
		{name: "patient", c: s.Anonymous(t), bearer: own.patientToken},
		{name: "member", c: s.Anonymous(t), bearer: own.memberToken},
		{name: "moderator", c: own.mod},
		{name: "therapist", c: own.th},
		{name: "admin", c: own.admin},
	}
	for i := range clients {
		clients[i].base = s.URL
	}
	served := map[string]bool{}
	for _, r := range s.App.Web.Echo.Routes() {
		if r.Method == "echo_route_not_found" {
			continue
		}
		served[r.Method+" "+r.Path] = true
	}
	keys := make([]string, 0, len(served))
	for k := range served {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Logout ends the callers' sessions: it runs last.
	sort.SliceStable(keys, func(i, j int) bool {
		return !strings.HasSuffix(keys[i], "/auth/logout") && strings.HasSuffix(keys[j], "/auth/logout")
	})
	for k := range matrix {
		if !served[k] {
			t.Errorf("matrix row %q: the router serves no such route", k)
		}
	}
	// HAVEN_MATRIX_PRINT=1 prints the observed rows instead of asserting them:
	// review them line by line before pasting a new route's row.
	print := os.Getenv("HAVEN_MATRIX_PRINT") != ""
	crossReads, ownReads, cells := 0, 0, 0
	for _, key := range keys {
		method, path, _ := strings.Cut(key, " ")
		row, ok := matrix[key]
		if !ok && !print {
			t.Errorf("route %s has no row in the access matrix", key)
			continue
		}
		got := map[string][]string{}
		for _, tn := range []struct {
			name string
			t    *tenant
			want string
		}{{"own", own, row.own}, {"other", other, row.other}} {
			want := strings.Fields(tn.want)
			for i, cl := range clients {
				st, body := cl.call(t, method, tn.t.fill(path), requestBody(method, path, cl.name+"-"+tn.name))
				got[tn.name] = append(got[tn.name], strconv.Itoa(st))
				cells++
				if tn.t == own && st >= 200 && st < 300 && own.leaksInto(body) {
					ownReads++
				}
				if st >= 200 && st < 300 && other.leaksInto(body) {
					crossReads++
					t.Errorf("%s %s as %s (%s clinic's path): %d answer holds the other clinic's data: %.200s", method, path, cl.name, tn.name, st, body)
				}
				if print {
					continue
				}
				if len(want) != len(callers) {
					t.Fatalf("%s: row %q has %d statuses, want %d", key, tn.want, len(want), len(callers))
				}
				if strconv.Itoa(st) != want[i] {
					t.Errorf("%s %s as %s, %s clinic: status %d, want %s (%.200s)", method, path, cl.name, tn.name, st, want[i], body)
				}
			}
		}
		if print {
			fmt.Printf("\t%q: {%q, %q},\n", key, strings.Join(got["own"], " "), strings.Join(got["other"], " "))
		}
	}
	if crossReads != 0 {
		t.Errorf("%d cross-tenant reads", crossReads)
	}
	if ownReads < 20 {
		t.Errorf("only %d answers held the own clinic's data: the cross-tenant scan would not see a leak", ownReads)
	}
	if want := len(keys) * len(callers) * 2; cells != want || len(keys) < 80 {
		t.Fatalf("checked %d cells over %d routes, want %d over ≥ 80", cells, len(keys), want)
	}
	t.Logf("%d routes × %d callers × 2 tenants = %d cells, %d cross-tenant reads (%d answers with own data)", len(keys), len(callers), cells, crossReads, ownReads)
}

// tenant is one clinic's accounts and resources.
type tenant struct {
	clinic                            store.Clinic
	admin, th, mod                    *apptest.Client
	patient, session, spare, room     string
	roomCode, composition, protocol   string
	victim, patientToken, memberToken string
	publicCode                        string   // the room code filled into :code
	markers                           []string // ids and names no other clinic may read
}

func newTenant(t *testing.T, s *apptest.Server, name string, callers bool) *tenant {
	t.Helper()
	tn := &tenant{clinic: s.NewClinic(t, name)}
	tn.th = s.SignIn(t, tn.clinic.ID, store.RoleTherapist)
	tn.mod = s.SignIn(t, tn.clinic.ID, store.RoleModerator)
	if callers {
		tn.admin = s.SignIn(t, tn.clinic.ID, store.RoleAdmin)
	}
	mk := func(c *apptest.Client, path string, body any, out any) {
		t.Helper()
		if st, raw := c.Raw(http.MethodPost, path, body); st != http.StatusCreated && st != http.StatusOK {
			t.Fatalf("%s: POST %s: %d %s", name, path, st, raw)
		} else if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: POST %s: decoding: %v", name, path, err)
		}
	}
	code := "MX-" + store.RandomToken(4)
	var p struct{ ID string }
	mk(tn.th, "/api/patients", map[string]any{"code": code, "birth_year": 1985, "screening": map[string]bool{}}, &p)
	tn.patient = p.ID
	var sess, spare struct{ ID string }
	mk(tn.th, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "heights_ladder"}, &sess)
	mk(tn.th, "/api/sessions", map[string]any{"patient_id": p.ID, "protocol_id": "heights_ladder"}, &spare)
	tn.session, tn.spare = sess.ID, spare.ID
	var room struct{ ID, Code string }
	topic := name + " room " + store.RandomToken(4)
	mk(tn.mod, "/api/groups/rooms", map[string]any{"topic": topic, "locale": "en", "lobby": false}, &room)
	tn.room, tn.roomCode = room.ID, room.Code
	var comp struct{ ID string }
	mk(tn.th, "/api/compositions", map[string]any{"template": "beach"}, &comp)
	tn.composition = comp.ID
	var lib struct {
		Protocol map[string]any `json:"protocol"`
	}
	if st := tn.th.Do(http.MethodGet, "/api/protocols/library/box_breathing", nil, &lib); st != http.StatusOK {
		t.Fatalf("%s: library protocol: %d", name, st)
	}
	var proto struct{ ID string }
	mk(tn.th, "/api/protocols", lib.Protocol, &proto)
	tn.protocol = proto.ID
	victim := "victim-" + store.RandomToken(4) + "@" + tn.clinic.ID + ".test"
	u, err := s.App.Auth.SetPassword(context.Background(), tn.clinic.ID, victim, "Victim", store.RoleTherapist, "password-"+store.RandomToken(8))
	if err != nil {
		t.Fatalf("%s: creating a user: %v", name, err)
	}
	tn.victim = u.ID
	if callers {
		var jc struct{ Code string }
		mk(tn.th, "/api/sessions/"+tn.session+"/join-code", nil, &jc)
		var j struct{ Token string }
		mk(s.Anonymous(t), "/api/join", map[string]string{"code": jc.Code}, &j)
		tn.patientToken = j.Token
		var m struct{ Token string }
		mk(s.Anonymous(t), "/api/groups/join", map[string]any{"code": room.Code, "accept_rules": true}, &m)
		tn.memberToken = m.Token
	}
	tn.markers = []string{tn.clinic.ID, name, code, p.ID, sess.ID, spare.ID, room.ID, topic, comp.ID, proto.ID, u.ID, victim}
	return tn
}

// fill puts the tenant's resources into a route's path parameters.
func (tn *tenant) fill(path string) string {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		if part == "*" {
			parts[i] = "" // the app's index
			continue
		}
		if !strings.HasPrefix(part, ":") {
			continue
		}
		v := "doesnotexist"
		switch part[1:] {
		case "id":
			switch {
			case strings.HasPrefix(path, "/api/patients/"):
				v = tn.patient
			case strings.HasSuffix(path, "/end"), strings.HasSuffix(path, "/simulate"):
				v = tn.spare // these change the session: not the one the others use
			case strings.HasPrefix(path, "/api/sessions/"):
				v = tn.session
			case strings.HasPrefix(path, "/api/groups/rooms/"):
				v = tn.room
			case strings.HasPrefix(path, "/api/compositions/"):
				v = tn.composition
			case strings.HasPrefix(path, "/api/protocols/library/"):
				v = "box_breathing" // built-in: every clinic's
			case strings.HasPrefix(path, "/api/protocols/"):
				v = tn.protocol
			case strings.HasPrefix(path, "/api/templates/"):
				v = "beach" // built-in: every clinic's
			case strings.HasPrefix(path, "/api/users/"):
				v = tn.victim
			case strings.HasPrefix(path, "/api/i18n/"):
				v = "error.not_found"
			}
		case "rev":
			v = "1"
		case "format":
			v = "csv"
		case "locale":
			v = "en"
		case "kind":
			v = groups.KindBlock
		case "code":
			// A room code is a capability, not a clinic-scoped id: both
			// columns use the callers' own room's code.
			v = tn.publicCode
		}
		parts[i] = v
	}
	return strings.Join(parts, "/")
}

// leaksInto reports whether an answer holds any of the tenant's markers.
func (tn *tenant) leaksInto(body []byte) bool {
	for _, m := range tn.markers {
		if bytes.Contains(body, []byte(m)) {
			return true
		}
	}
	return false
}

// requestBody is an empty JSON object for writes (no body for reads): an
// admitted caller gets the handler's validation answer, nothing changes.
// Sign-in attempts name an unknown account per cell: the per-account limit
// (5 tries) would otherwise answer 429 from the sixth cell on.
func requestBody(method, path, cell string) []byte {
	switch {
	case method == http.MethodGet || method == http.MethodDelete || method == http.MethodHead:
		return nil
	case path == "/api/auth/login":
		return []byte(`{"email":"` + cell + `@nowhere.test","password":"not-the-password"}`)
	}
	return []byte("{}")
}

type caller struct {
	name   string
	base   string
	c      *apptest.Client
	bearer string
}

func (cl caller) call(t *testing.T, method, path string, body []byte) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, cl.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cl.c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", cl.c.CSRF)
	}
	if cl.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+cl.bearer)
	}
	noRedirect := *cl.c.HTTP
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading: %v", method, path, err)
	}
	return resp.StatusCode, data
}
