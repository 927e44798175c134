package live

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/owner"
)

// Ownership decides which node of a cluster serves a session's room
// (DESIGN.md §10; server/cluster implements it with NATS leases). Without
// one, this node serves every room, as a single node always has.
type Ownership = owner.Ownership

func roomKey(sessionID string) string { return "live." + sessionID }

// router routes the sessions' rooms to their owners (server/owner).
func (s *Service) router() owner.Router {
	return owner.Router{Owner: s.opts.Owner, Log: s.log, What: "session"}
}

// toOwner is the middleware of every route that acts on a session's room:
// on a node that does not own the room it proxies the request, unread, to
// the owner.
func (s *Service) toOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return s.router().Middleware(func(c echo.Context) string { return roomKey(c.Param("id")) })(next)
}

// claim makes this node the room's owner before it is built; if another
// node claimed it since the route looked, the client's retry is forwarded
// there.
func (s *Service) claim(ctx context.Context, id string) error {
	return s.router().Claim(ctx, roomKey(id), func() { s.evict(id) })
}

// release gives a dropped room's lease up.
func (s *Service) release(id string) { s.router().Release(roomKey(id)) }

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
