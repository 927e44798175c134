// Package owner routes a room's requests to the node of a cluster that owns
// the room (DESIGN.md §10): live sessions (server/live) and support rooms
// (server/groups) alike keep their state in one node's memory, and every
// other node forwards the room's signalling there. server/cluster decides
// ownership with NATS leases; without it (a single node) this node owns
// every room and nothing is forwarded.
package owner

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
)

// Ownership decides which node of a cluster serves a room.
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

// ForwardedHeader marks a request one node forwarded to another: the owner
// never forwards it again (two nodes that each think the other owns a room,
// for a moment while a lease changes hands, must not ping-pong).
const ForwardedHeader = "X-Haven-Forwarded"

// ErrUnavailable is the answer while a room's owner cannot be reached or is
// changing: the client retries.
var ErrUnavailable = apierr.New(apierr.Unavailable)

// Router routes one kind of room. A zero Owner (a single node) routes
// nothing.
type Router struct {
	Owner Ownership
	Log   *slog.Logger
	// What names the rooms in log lines ("session", "room").
	What string
}

// Middleware forwards a request for the room key(c) names to its owner,
// when that is another node; this node serves it otherwise.
func (rt Router) Middleware(key func(c echo.Context) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if forwarded, err := rt.ToOwner(c, key(c)); forwarded || err != nil {
				return err
			}
			return next(c)
		}
	}
}

// ToOwner forwards the request to the owner of room if that is another
// node (forwarded true; the body must still be unread). A request another
// node forwarded is never forwarded again.
func (rt Router) ToOwner(c echo.Context, room string) (forwarded bool, err error) {
	if rt.Owner == nil || c.Request().Header.Get(ForwardedHeader) != "" {
		return false, nil
	}
	owner, err := rt.Owner.Owner(c.Request().Context(), room)
	if err != nil {
		rt.Log.Warn("looking up a room's owner", slog.String(rt.What, room), slog.Any("err", err))
		return false, ErrUnavailable
	}
	if owner == "" {
		return false, nil
	}
	return true, rt.Forward(c, owner)
}

// Forward proxies the request, unread, to the owning node. Proxying, rather
// than answering 307, keeps browsers on one origin: a cross-origin redirect
// would drop a bearer's Authorization header, need CORS on every node, and
// the console's cookie is per origin. The owner's answer (an SDP answer
// naming the owner's own ICE candidates) goes back as it is, so media flows
// straight to the owner.
func (rt Router) Forward(c echo.Context, ownerURL string) error {
	target, err := url.Parse(ownerURL)
	if err != nil {
		return apierr.Errorf("owner: owner URL %q: %w", ownerURL, err)
	}
	var failed error
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
			pr.Out.Header.Set(ForwardedHeader, "1")
			pr.SetXForwarded()
		},
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) { failed = err },
	}
	proxy.ServeHTTP(c.Response(), c.Request())
	if failed != nil {
		// The owner is unreachable (it may have just died): the client
		// retries, and once the owner's lease expires a node takes over.
		rt.Log.Warn("forwarding to the room's owner", slog.String("owner", ownerURL), slog.Any("err", failed))
		return ErrUnavailable
	}
	return nil
}

// Claim makes this node the owner of room before it is built; another
// owner, or NATS unreachable, is ErrUnavailable (the client's retry is
// forwarded to the owner).
func (rt Router) Claim(ctx context.Context, room string, lost func()) error {
	if rt.Owner == nil {
		return nil
	}
	owner, err := rt.Owner.Claim(ctx, room, lost)
	if err != nil {
		rt.Log.Warn("claiming a room", slog.String(rt.What, room), slog.Any("err", err))
		return ErrUnavailable
	}
	if owner != "" {
		return ErrUnavailable
	}
	return nil
}

// Release gives room up, if there is a cluster.
func (rt Router) Release(room string) {
	if rt.Owner != nil {
		rt.Owner.Release(room)
	}
}
