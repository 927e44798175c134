package demo_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/demo"
	"github.com/havenvr/haven/server/store"
)

// TestSeedIsRepeatableWithFreshPasswords: every start re-seeds the same
// clinic, accounts, patients and support room (never twice), and only the
// newest printed passwords sign in.
func TestSeedIsRepeatableWithFreshPasswords(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, nil)
	ctx := context.Background()
	first, err := demo.Seed(ctx, srv.App.Store, srv.App.Auth)
	if err != nil {
		t.Fatal(err)
	}
	second, err := demo.Seed(ctx, srv.App.Store, srv.App.Auth)
	if err != nil {
		t.Fatal(err)
	}
	db := srv.App.Store.DB
	for _, tc := range []struct {
		model any
		where string
		want  int64
	}{{&store.Clinic{}, "id = ?", 1}, {&store.User{}, "clinic_id = ?", 3}, {&store.Patient{}, "clinic_id = ?", 2}, {&store.GroupRoom{}, "clinic_id = ?", 1}} {
		var n int64
		if err := db.Model(tc.model).Where(tc.where, demo.ClinicID).Count(&n).Error; err != nil || n != tc.want {
			t.Fatalf("%T rows = %d (%v), want %d", tc.model, n, err, tc.want)
		}
	}
	login := func(a demo.Account) int {
		return srv.Anonymous(t).Do(http.MethodPost, "/api/auth/login", map[string]string{"email": a.Email, "password": a.Password}, nil)
	}
	if st := login(second.Therapist); st != http.StatusOK {
		t.Fatalf("newest therapist password: %d", st)
	}
	if st := login(first.Moderator); st != http.StatusUnauthorized {
		t.Fatalf("an older printed password still signs in: %d", st)
	}
	// A demo clinic made before it had a country gets one on the next start.
	if err := db.Model(&store.Clinic{}).Where("id = ?", demo.ClinicID).Update("country", "").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, srv.App.Store, srv.App.Auth); err != nil {
		t.Fatal(err)
	}
	var clinic store.Clinic
	if err := db.Take(&clinic, "id = ?", demo.ClinicID).Error; err != nil || clinic.Country != "US" {
		t.Fatalf("demo clinic country %q (%v), want US", clinic.Country, err)
	}
	var room struct{ Topic, State string }
	if st := srv.Anonymous(t).Do(http.MethodGet, "/api/groups/join/"+demo.RoomCode, nil, &room); st != http.StatusOK || room.Topic == "" {
		t.Fatalf("demo room lookup: %d %+v", st, room)
	}
}
