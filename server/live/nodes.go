package live

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
)

// Ownership decides which node of a cluster serves a session's room
// (DESIGN.md §10; server/cluster implements it with NATS leases). Without
// one, this node serves every room, as a single node always has.
type Ownership interface {
	// Claim makes this node the room's owner if nobody else is, and
	// returns the owner's URL: "" when it is this node. lost runs once if
	// the node loses the room later: the room must stop serving at once.
	Claim(ctx context.Context, room string, lost func()) (ownerURL string, err error)
	// Owner returns the URL of the node that owns room: "" when it is this
	// node or nobody.
	Owner(ctx context.Context, room string) (ownerURL string, err error)
	// Release gives the room up (it ended), for the next claim anywhere.
	Release(room string)
}

// forwardedHeader marks a request one node forwarded to another: the owner
// never forwards it again (two nodes that each think the other owns a room,
// for a moment while a lease changes hands, must not ping-pong).
const forwardedHeader = "X-Haven-Forwarded"

func roomKey(sessionID string) string { return "live." + sessionID }

// toOwner is the middleware of every route that acts on a session's room:
// on a node that does not own the room it proxies the request, unread, to
// the owner. Proxying, rather than answering 307, keeps browsers on one
// origin: a cross-origin redirect would drop the patient's Authorization
// header, need CORS on every node, and the console's cookie is per origin.
// The owner's answer (an SDP answer naming the owner's own ICE candidates)
// goes back as it is, so media flows straight to the owner.
func (s *Service) toOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.opts.Owner == nil || c.Request().Header.Get(forwardedHeader) != "" {
			return next(c)
		}
		owner, err := s.opts.Owner.Owner(c.Request().Context(), roomKey(c.Param("id")))
		if err != nil {
			s.log.Warn("live: looking up a room's owner", slog.String("session", c.Param("id")), slog.Any("err", err))
			return errUnavailable
		}
		if owner == "" {
			return next(c)
		}
		return s.forward(c, owner)
	}
}

// forward proxies the request to the owning node.
func (s *Service) forward(c echo.Context, owner string) error {
	target, err := url.Parse(owner)
	if err != nil {
		return apierr.Errorf("live: owner URL %q: %w", owner, err)
	}
	var failed error
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.Out.Header.Set(forwardedHeader, "1")
			pr.SetXForwarded()
		},
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
	}
	proxy.ServeHTTP(c.Response(), c.Request())
	if failed != nil {
		// The owner is unreachable (it may have just died): the client
		// retries, and once the owner's lease expires a node takes over.
		s.log.Warn("live: forwarding to the room's owner", slog.String("owner", owner), slog.Any("err", failed))
		return errUnavailable
	}
	return nil
}

// claim makes this node the room's owner before it is built.
func (s *Service) claim(ctx context.Context, id string) error {
	if s.opts.Owner == nil {
		return nil
	}
	owner, err := s.opts.Owner.Claim(ctx, roomKey(id), func() { s.evict(id) })
	if err != nil {
		s.log.Warn("live: claiming a room", slog.String("session", id), slog.Any("err", err))
		return errUnavailable
	}
	if owner != "" {
		// Another node claimed the room since the route looked: the
		// client's retry is forwarded there.
		return errUnavailable
	}
	return nil
}

// release gives a dropped room's lease up.
func (s *Service) release(id string) {
	if s.opts.Owner != nil {
		s.opts.Owner.Release(roomKey(id))
	}
}

// evict stops serving a room whose lease this node lost: its peers are
// told the server is unavailable and closed, so they reconnect and reach
// the new owner, which loads the room from the store.
func (s *Service) evict(id string) {
	s.mu.Lock()
	r := s.rooms[id]
	delete(s.rooms, id)
	s.opts.Metrics.LiveSessions.Set(float64(len(s.rooms)))
	s.mu.Unlock()
	if r == nil {
		return
	}
	s.log.Warn("live: room handed to another node", slog.String("session", id))
	ctx, cancel := context.WithTimeout(context.Background(), askWait)
	defer cancel()
	peers, err := ask(ctx, r, newQuery[[]*peer](detachQ{farewell: true}))
	if err != nil {
		s.log.Warn("live: evicted room did not detach its peers", slog.String("session", id), slog.Any("err", err))
	}
	closeAll(ctx, peers)
	r.stop()
}

// resumedIn is a resumed room's first input: it records the lost link.
type resumedIn struct{}

func (resumedIn) run(r *room) { r.resumed() }
