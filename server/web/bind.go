package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/strictjson"
)

// BindJSON decodes the request body strictly into v: JSON content type
// required, unknown fields and trailing data rejected, size capped by the
// body-limit middleware. Errors are coded and name the offending field.
func BindJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != echo.MIMEApplicationJSON {
		return apierr.New(apierr.UnsupportedMedia)
	}
	return DecodeJSON(c.Request().Body, v)
}

// DecodeJSON is BindJSON's decoder, usable on any reader of outside input:
// exact keys, no duplicates, valid UTF-8, nothing after the value (package
// strictjson, which data-channel frames use too).
func DecodeJSON(r io.Reader, v any) error {
	return strictjson.Decode(r, v)
}

// ReadSDP reads an SDP offer body (RFC 8866's application/sdp, as WHIP
// requires: RFC 9725 §4.2) of at most n bytes; any other type is a 415.
func ReadSDP(c echo.Context, n int64) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != "application/sdp" {
		return nil, apierr.New(apierr.UnsupportedMedia)
	}
	return ReadLimited(c, n)
}

// ReadLimited reads at most n bytes of the body; more is a BodyTooLarge error.
func ReadLimited(c echo.Context, n int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, io.LimitReader(c.Request().Body, n+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, apierr.New(apierr.BodyTooLarge)
	}
	if err != nil {
		return nil, apierr.Wrap(apierr.InvalidJSON, err)
	}
	if int64(buf.Len()) > n {
		return nil, apierr.New(apierr.BodyTooLarge)
	}
	return buf.Bytes(), nil
}
