package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
)

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a coded, localized error.
type ErrorDetail struct {
	Code    apierr.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
	// Detail is a validator's untranslated (English) explanation, for
	// developers and logs; Message is what a person reads.
	Detail string `json:"detail,omitempty"`
}

// handleError is the single place where errors become HTTP responses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toAPIError(err)
	if e.Code == apierr.MethodNotAllowed && c.Path() == "/*" && c.Response().Header().Get(echo.HeaderAllow) == "OPTIONS, GET" {
		// Only the console's catch-all matched: the path names nothing.
		e = apierr.New(apierr.NotFound)
		c.Response().Header().Del(echo.HeaderAllow)
	}
	if e.Code == apierr.Internal {
		s.log.Error("request failed", slog.String("path", c.Path()), slog.Any("err", err),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
	}
	if e.Code == apierr.RateLimited {
		if v, ok := e.Data["Seconds"]; ok {
			c.Response().Header().Set("Retry-After", toString(v))
		}
	}
	if e.Code == apierr.MethodNotAllowed {
		allowHEAD(c.Response().Header())
	}
	body := ErrorBody{Error: ErrorDetail{Code: e.Code, Message: s.Localize(c, e.MessageID(), e.Data), Field: e.Field, Detail: e.Detail()}}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(e.Status())
		return
	}
	_ = c.JSON(e.Status(), body)
}

// Localize translates id for the request, or returns the id when no translator is wired.
func (s *Server) Localize(c echo.Context, id string, data map[string]any) string {
	if s.opts.Translator == nil {
		return id
	}
	return s.opts.Translator.Localize(c, id, data)
}

func toAPIError(err error) *apierr.Error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return apierr.New(apierr.NotFound)
		case http.StatusMethodNotAllowed:
			return apierr.New(apierr.MethodNotAllowed)
		case http.StatusRequestEntityTooLarge:
			return apierr.New(apierr.BodyTooLarge)
		case http.StatusUnsupportedMediaType:
			return apierr.New(apierr.UnsupportedMedia)
		case http.StatusUnauthorized:
			return apierr.New(apierr.Unauthorized)
		case http.StatusServiceUnavailable:
			return apierr.New(apierr.Unavailable)
		default:
			if he.Code >= 400 && he.Code < 500 {
				return apierr.Wrap(apierr.BadRequest, err)
			}
			return apierr.Wrap(apierr.Internal, err)
		}
	}
	return apierr.From(err)
}

// allowHEAD adds HEAD to a 405's Allow header wherever GET is allowed
// (HEAD is answered as GET before routing, so the router never lists it).
func allowHEAD(h http.Header) {
	allow := h.Get(echo.HeaderAllow)
	if allow == "" || strings.Contains(allow, http.MethodHead) {
		return
	}
	for _, m := range strings.Split(allow, ",") {
		if strings.TrimSpace(m) == http.MethodGet {
			h.Set(echo.HeaderAllow, allow+", "+http.MethodHead)
			return
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return itoa(x)
	case int64:
		return itoa(int(x))
	default:
		return "1"
	}
}

func itoa(n int) string {
	if n < 1 {
		return "1"
	}
	return strconv.Itoa(n)
}
