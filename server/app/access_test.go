package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/havenvr/haven/server/apptest"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// TestAccessMatrix calls every registered route as every account role and
// anonymously, and asserts the exact outcome of the access check: 401 for
// anonymous callers of protected routes, 403 for roles the route does not
// admit, and never 401/403 for roles it does. It reads the routes from the
// server's registry, so a new route is covered the day it is added.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	cl := s.NewClinic(t, "Matrix clinic")
	roles := []store.Role{store.RoleAdmin, store.RoleTherapist, store.RoleModerator}
	clients := map[store.Role]*apptest.Client{}
	for _, r := range roles {
		clients[r] = s.SignIn(t, cl.ID, r)
	}
	anon := s.Anonymous(t)
	checked := 0
	for _, r := range s.App.Web.Routes() {
		if r.Access == web.Public || strings.Contains(r.Path, "/auth/logout") {
			continue
		}
		path := fillParams(r.Path)
		body := []byte("{}")
		if r.Method == http.MethodGet || r.Method == http.MethodDelete {
			body = nil
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			if st, raw := anon.Raw(r.Method, path, body); st != http.StatusUnauthorized {
				t.Errorf("anonymous: status %d, want 401 (%s)", st, raw)
			}
			if r.Access == web.Patient || r.Access == web.Member {
				for _, role := range roles {
					if st, raw := clients[role].Raw(r.Method, path, body); st != http.StatusUnauthorized && st != http.StatusForbidden {
						t.Errorf("%s on a %s route: status %d (%s)", role, r.Access, st, raw)
					}
				}
				return
			}
			for _, role := range roles {
				st, raw := clients[role].Raw(r.Method, path, body)
				allowed := auth.Allows(r.Access, role)
				var e struct{ Error struct{ Code string } }
				_ = json.Unmarshal(raw, &e)
				switch {
				case allowed && (st == http.StatusUnauthorized || st == http.StatusForbidden && e.Error.Code == "forbidden"):
					t.Errorf("%s is allowed on %s but got %d %s", role, r.Access, st, e.Error.Code)
				case !allowed && (st != http.StatusForbidden || e.Error.Code != "forbidden"):
					t.Errorf("%s is not allowed on %s but got %d %s", role, r.Access, st, e.Error.Code)
				}
			}
		})
		checked++
	}
	if checked < 8 {
		t.Fatalf("only %d protected routes checked", checked)
	}
}

// fillParams substitutes ids that exist nowhere, so allowed calls stop at
// the handler's lookup (404/422) after passing the access check.
func fillParams(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ":") {
			parts[i] = "doesnotexist" + part[1:]
		} else if part == "*" {
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}
