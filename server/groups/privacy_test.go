package groups_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/groups"
)

// TestPrivacyScanAfterRoomLife runs a room through its whole life — joins,
// chat, PII, a crisis message, a report, a deletion, moderation, the end —
// then reads every column of every table and the captured log, and finds no
// member IP, user agent, token or message text beyond policy (review items
// of an ephemeral room are gone when it ends; the audit keeps no text).
func TestPrivacyScanAfterRoomLife(t *testing.T) {
	e := start(t, nil)
	room := e.room(t, map[string]any{"lobby": false})
	mod := e.moderator(t, room.ID)
	a := e.join(t, room.Code, nil)
	pa := e.member(t, room.ID, a.Token)
	b := e.join(t, room.Code, map[string]any{"locale": "es"})
	pb := e.member(t, room.ID, b.Token)

	secrets := []string{"zebrafish-marker-one", "zebrafish-marker-two", "zebrafish-crisis", "jo.private@example.com", "7700 900123"}
	pa.send("chat.send", map[string]any{"text": "hello " + secrets[0]})
	pb.expect("chat.msg", textHas(secrets[0]))
	pb.send("chat.send", map[string]any{"text": "reply " + secrets[1] + " mail " + secrets[3] + " call " + secrets[4]})
	m := pa.expect("chat.msg", textHas(secrets[1]))
	pa.send("chat.report", map[string]any{"msg": m.Body["id"], "reason": "worried"})
	mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "report_worried" })
	pa.send("chat.send", map[string]any{"text": "I want to end my life " + secrets[2]})
	mod.expect("mod.alert", func(f frame) bool { return f.Body["kind"] == "crisis" })
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActDelete, MessageID: m.Body["id"].(string), Reason: "privacy"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActMute, MemberID: b.MemberID, Seconds: 60, Reason: "pause"})
	e.act(t, room.ID, groups.ActionRequest{Action: groups.ActEnd, Reason: "done"})
	for _, p := range []*peer{pa, pb, mod} { // the server has closed every peer: nothing of the room is left to write
		waitClosed(t, p)
	}

	forbidden := append([]string{"127.0.0.1", "203.0.113.77", "HavenScanUA", "secret-device", a.Token, b.Token}, secrets...)
	scanStore(t, e, forbidden)
	// The moderation trail itself is kept (by policy) and names pseudonyms.
	var audit []groups.AuditEntry
	e.mod.Do(http.MethodGet, "/api/groups/rooms/"+room.ID+"/audit", nil, &audit)
	if len(audit) < 4 {
		t.Fatalf("audit has %d events", len(audit))
	}
}

// scanStore reads every column of every table, the database file's raw
// bytes (and its WAL) and the captured log, and fails on any of forbidden.
func scanStore(t *testing.T, e *env, forbidden []string) {
	t.Helper()
	db := e.srv.App.Store.DB
	var tables []string
	if err := db.Raw("SELECT name FROM sqlite_master WHERE type = 'table'").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) < 5 {
		t.Fatalf("only %d tables found", len(tables))
	}
	scanned := 0
	for _, table := range tables {
		rows, err := db.Raw(fmt.Sprintf("SELECT * FROM %q", table)).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				scanned++
				for _, f := range forbidden {
					if strings.Contains(s, f) {
						t.Errorf("table %s column %s holds %q", table, cols[i], f)
					}
				}
			}
		}
		rows.Close()
	}
	if scanned == 0 {
		t.Fatal("scanned nothing")
	}
	// The raw bytes too: rows deleted at the room's end must be zeroed
	// (secure_delete), not left in free pages of the file or in the WAL.
	checkpoint(t, db)
	for _, path := range []string{e.srv.App.Store.Path, e.srv.App.Store.Path + "-wal"} {
		raw, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("reading %s: %v", path, err)
		}
		if path == e.srv.App.Store.Path && len(raw) < 4096 {
			t.Fatalf("database file is %d bytes: nothing to scan", len(raw))
		}
		for _, f := range forbidden {
			if bytes.Contains(raw, []byte(f)) {
				t.Errorf("%s holds %q in its raw bytes", filepath.Base(path), f)
			}
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "/api/groups/join") {
		t.Fatalf("log capture is not working: %.300s", logs)
	}
	for _, f := range forbidden {
		if strings.Contains(logs, f) {
			t.Errorf("log output holds %q", f)
		}
	}
}

// TestOldJoinLinkRedirectsWithoutLoggingTheCode: a join link of the old
// form (/j/CODE, printed on earlier QR codes) still opens the headset with
// the code in the fragment, and the code appears in no log line (the access
// log names the route, /j/:code, not the path).
func TestOldJoinLinkRedirectsWithoutLoggingTheCode(t *testing.T) {
	e := start(t, nil)
	const code = "ZQXWVUTS"
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(e.srv.URL + "/j/" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/xr/#code="+code {
		t.Fatalf("GET /j/CODE: %d → %q, want 302 → /xr/#code=%s", resp.StatusCode, resp.Header.Get("Location"), code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.logs.String(), "/j/:code") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "/j/:code") {
		t.Fatalf("the request was not logged at all: %.300s", logs)
	}
	if strings.Contains(logs, code) {
		t.Fatalf("the join code is in the log: %s", logs)
	}
}
