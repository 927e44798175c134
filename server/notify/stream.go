package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// defaultStreamFor bounds one stream: below the server's 30 s request timeout and
// a load balancer's idle timeout (docs/deploy-cluster/haproxy.cfg: 60 s).
// The browser's EventSource reconnects after retryMs with Last-Event-ID,
// and the hub replays what it missed.
const (
	defaultStreamFor = 25 * time.Second
	retryMs          = 1000
)

// SetStreamFor changes how long one stream lasts (tests: streams that end
// quickly; 0 restores the default).
func (h *Hub) SetStreamFor(d time.Duration) {
	if d <= 0 {
		d = defaultStreamFor
	}
	h.streamFor.Store(int64(d))
}

// Register adds GET /api/events.
func (h *Hub) Register(w *web.Server, a *auth.Service) {
	w.Handle(web.Route{Method: http.MethodGet, Path: "/api/events", Access: web.Staff, Tag: "events",
		Summary: "Notifications for the clinic's staff pages as Server-Sent Events: session list changes and live alerts " +
			"(therapists and admins), moderator queue changes (moderators too). Each stream ends after 25 s; " +
			"EventSource reconnects with Last-Event-ID and gets what it missed, or a resync event.",
		Handler: h.stream, Middleware: []echo.MiddlewareFunc{a.Require(web.Staff)},
		Response: "text/event-stream of {id, kind, clinic_id, session_id, change, state, reason, code, fired, room_id, queue_id, queue_kind, node, at}"})
}

// mayRead says whether a role sees an event kind: the session list and
// live alerts are a therapist's, the moderator queue a moderator's.
func mayRead(kind string, role store.Role) bool {
	switch kind {
	case KindSession, KindAlert:
		return auth.Allows(web.Therapist, role)
	case KindQueue:
		return auth.Allows(web.Moderator, role)
	}
	return kind == KindResync
}

func (h *Hub) stream(c echo.Context) error {
	p := auth.From(c)
	sub, cursor, err := h.Subscribe(p.User.ClinicID, c.Request().Header.Get("Last-Event-ID"))
	if err != nil {
		return apierr.Wrap(apierr.Unavailable, err)
	}
	defer h.Unsubscribe(sub)
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // proxies must not hold events back
	w.WriteHeader(http.StatusOK)
	// An id line without data moves the page's Last-Event-ID to where this
	// stream starts, so a reconnect after a quiet stream misses nothing.
	fmt.Fprintf(w, "retry: %d\n", retryMs)
	if cursor != "" {
		fmt.Fprintf(w, "id: %s\n", cursor)
	}
	fmt.Fprint(w, "\n")
	w.Flush()
	ctx, cancel := context.WithTimeout(c.Request().Context(), time.Duration(h.streamFor.Load()))
	defer cancel()
	for {
		ev, err := h.Next(ctx, sub)
		if err != nil {
			return nil // the stream's time is up, or the page left
		}
		if !mayRead(ev.Kind, p.User.Role) {
			continue
		}
		b, _ := json.Marshal(ev)
		if ev.ID != "" {
			fmt.Fprintf(w, "id: %s\n", ev.ID)
		}
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, b)
		w.Flush()
	}
}
