package live_test

import (
	"testing"
	"time"

	"github.com/havenvr/haven/server/simpeer"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/wire"
)

// TestNoDataAlertWithoutAnySample: a headset whose sensor never sends a
// single sample still raises no_data for the therapist (the default rule:
// 10 s of silence counted from the session going live), instead of
// staying silent because there is no last sample to count from.
func TestNoDataAlertWithoutAnySample(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	con := f.console(f.session, "")
	f.patient(f.session, simpeer.PatientOptions{Seed: 21, NoSignals: true})
	wait(t, con, 5*time.Second, "live", state(store.LiveLive))
	live := time.Now()
	a := wait(t, con, 20*time.Second, "no_data alert", func(r simpeer.Received) bool {
		al, ok := r.Body.(*wire.Alert)
		return ok && al.Code == "no_data" && al.Fired
	})
	if d := a.At.Sub(live); d < 9*time.Second {
		t.Fatalf("no_data fired %v after the session went live, before its 10 s of silence", d)
	}
}
