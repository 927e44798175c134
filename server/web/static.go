package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// ServeApp serves a built browser app from fsys under prefix ("/" or
// "/xr/"). Unknown paths without an extension get index.html, so the apps
// can route on the client. Hashed assets are cached; HTML never is.
func (s *Server) ServeApp(prefix string, fsys fs.FS, notBuilt string) {
	handler := func(c echo.Context) error {
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
