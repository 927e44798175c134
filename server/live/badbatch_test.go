package live_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestUndecodableBatchIsSettled: a batch whose body cannot be decoded (a
// browser's NaN arriving as null) is refused with a code, recorded, and
// acknowledged, so the cumulative ack moves past it and the next valid batch
// is stored — never a 0 sample, never a channel stuck behind a gap.
func TestUndecodableBatchIsSettled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	pat := f.patient(f.session, simpeer.PatientOptions{Seed: 7, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	t0 := time.Now().UnixMilli() - 1000
	batch := func(seq int, values string) []byte {
		return []byte(`{"v":1,"type":"signals.batch","seq":` + strconv.Itoa(seq) + `,"t":1,"body":{"stream":"eda","unit":"uS","rate_hz":4,"t0":` +
			strconv.FormatInt(t0+int64(seq)*1000, 10) + `,"values":` + values + `}}`)
	}
	for _, b := range [][]byte{batch(1, `[2.1,2.1,2.2,2.2]`), batch(2, `[2.2,null,2.3,2.3]`), batch(3, `[2.3,2.3,2.4,2.4]`)} {
		if err := pat.SendRaw(wire.Signals, b); err != nil {
			t.Fatal(err)
		}
	}
	refused := wait(t, pat, 5*time.Second, "refusal of seq 2", func(r simpeer.Received) bool {
		e, ok := r.Body.(*wire.Error)
		return ok && e.RefSeq == 2
	})
	if code := refused.Body.(*wire.Error).Code; code != "invalid_json" {
		t.Fatalf("refusal code %q, want invalid_json", code)
	}
	wait(t, pat, 5*time.Second, "ack past the refused batch", func(r simpeer.Received) bool {
		return r.Type == "signals.ack" && r.Ack >= 3
	})
	if cs := f.chunks(f.session); cs.Rows != 2 || cs.Samples != 8 {
		t.Fatalf("stored %+v, want the two valid batches (8 samples)", cs)
	}
	var rejected int64
	if err := f.srv.App.Store.DB.Model(&store.TimelineEvent{}).Where("session_id = ? AND kind = ? AND seq = ?", f.session, "signals.rejected", 2).
		Count(&rejected).Error; err != nil || rejected != 1 {
		t.Fatalf("rejection records for seq 2: %d (%v)", rejected, err)
	}
}

// TestDataChannelErrorsInThePatientsLanguage: a patient whose preferred
// language is a regional variant without its own bundle (pt-PT) reads
// data-channel errors through the negotiated parent chain (pt-BR), never a
// raw message id.
func TestDataChannelErrorsInThePatientsLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var p struct{ ID string }
	if st := f.th.Do(http.MethodPost, "/api/patients", map[string]any{"code": "PT-1", "birth_year": 1985, "screening": map[string]bool{}, "locale": "pt-PT"}, &p); st != http.StatusCreated {
		t.Fatalf("patient: %d", st)
	}
	id := f.schedule(map[string]any{"patient_id": p.ID, "protocol_id": "heights_ladder"})
	pat := f.patient(id, simpeer.PatientOptions{Seed: 8, NoSignals: true})
	if err := pat.SendRaw(wire.Control, []byte(`{"v":1,"type":"teleport","seq":100000,"body":{}}`)); err != nil {
		t.Fatal(err)
	}
	got := wait(t, pat, 5*time.Second, "error", errCode("unknown_message_type")).Body.(*wire.Error).Message
	want, err := f.srv.App.Localize.Bundle.ForLocale("", "pt-BR").Lookup("error.unknown_message_type", map[string]any{"Type": "teleport"})
	if err != nil || got != want || strings.HasPrefix(got, "error.") {
		t.Fatalf("message %q, want pt-BR %q (%v)", got, want, err)
	}
}
