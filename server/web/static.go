package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
)

// ServeApp serves a built browser app from fsys under prefix ("/" or
// "/xr/"). Unknown paths without an extension get index.html, so the apps
// can route on the client. Hashed assets are cached; HTML never is.
func (s *Server) ServeApp(prefix string, fsys fs.FS, notBuilt string) {
	handler := func(c echo.Context) error {
		if prefix == "/" && reservedPath(c.Request().URL.Path) {
			// API and operational paths answer JSON errors, never the console's HTML.
			return s.noSuchGet(c)
		}
		p := strings.TrimPrefix(c.Request().URL.Path, prefix)
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
		if p == "" {
			p = "index.html"
		}
		if _, err := fs.Stat(fsys, "index.html"); err != nil {
			return c.String(http.StatusServiceUnavailable, notBuilt)
		}
		if _, err := fs.Stat(fsys, p); err != nil {
			if path.Ext(p) != "" {
				return echo.NewHTTPError(http.StatusNotFound)
			}
			p = "index.html"
		}
		if strings.HasSuffix(p, ".html") {
			c.Response().Header().Set("Cache-Control", "no-cache")
		} else {
			c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		}
		http.ServeFileFS(c.Response(), c.Request(), fsys, p)
		return nil
	}
	if prefix == "/" {
		s.Echo.GET("/*", handler)
		return
	}
	s.Echo.GET(strings.TrimSuffix(prefix, "/"), func(c echo.Context) error {
		return c.Redirect(http.StatusFound, prefix)
	})
	s.Echo.GET(prefix+"*", handler)
}

// reservedPath is a server path no browser app may claim.
func reservedPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || p == "/metrics"
}

// noSuchGet answers a GET that only the console's catch-all matched: 405
// with the methods the path does take, or 404 when it names nothing. The
// router is asked with a method no route uses, so it reports the path's
// own Allow list, if the path exists.
func (s *Server) noSuchGet(c echo.Context) error {
	probe := s.Echo.NewContext(nil, nil)
	s.Echo.Router().Find("PROPFIND", c.Request().URL.Path, probe)
	allow, _ := probe.Get(echo.ContextKeyHeaderAllow).(string)
	if probe.Path() == "/*" || allow == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	c.Response().Header().Set(echo.HeaderAllow, allow)
	return apierr.New(apierr.MethodNotAllowed)
}
