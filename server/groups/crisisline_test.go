package groups_test

import (
	"context"
	"testing"
	"time"

	"github.com/havenvr/haven/server/store"
)

// TestCrisisLineForTheHeadset: the headset's safety panel gets the clinic's
// curated line for its country, else the dated built-in one, and never a
// line for another country.
func TestCrisisLineForTheHeadset(t *testing.T) {
	t.Parallel()
	e := start(t, nil)
	db := e.srv.App.Store.DB
	mk := func(country string) string {
		c := store.Clinic{ID: store.NewID(), Name: "Clinic " + country, DefaultLocale: "en", Country: country, CreatedAt: time.Now().UTC()}
		if err := db.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	fr, jp, curated := mk("FR"), mk("JP"), mk("DE")
	verified := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	rows := []store.GroupCrisisResource{
		{ID: store.NewID(), ClinicID: curated, Country: "AT", Name: "Telefonseelsorge Österreich", Phone: "142", LastVerified: verified},
		{ID: store.NewID(), ClinicID: curated, Country: "DE", Name: "Krisendienst der Klinik", Phone: "0800 000 0000", Hours: "24/7", LastVerified: verified},
	}
	if err := db.Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, clinic, wantName, wantPhone string
		ok                                bool
	}{
		{"built-in line for the clinic's country", fr, "3114 Numéro national de prévention du suicide", "3114", true},
		{"the clinic's curated line first", curated, "Krisendienst der Klinik", "0800 000 0000", true},
		{"no line for the country: none rather than another country's", jp, "", "", false},
		{"unknown clinic", store.NewID(), "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := e.srv.App.Groups.CrisisLine(context.Background(), tc.clinic)
			if ok != tc.ok || r.Name != tc.wantName || r.Phone != tc.wantPhone {
				t.Fatalf("CrisisLine = %+v, %v; want %q %q %v", r, ok, tc.wantName, tc.wantPhone, tc.ok)
			}
			if ok && r.LastVerified.IsZero() {
				t.Fatal("a crisis line without its last-verified date")
			}
		})
	}
}
