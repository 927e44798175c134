package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
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

// DecodeJSON is BindJSON's decoder, usable on any reader of outside input.
func DecodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return apierr.New(apierr.InvalidJSON)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return apierr.New(apierr.InvalidJSON)
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apierr.New(apierr.BodyTooLarge)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return apierr.Invalid(te.Field, "wrong type: expected "+te.Type.String())
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		e := apierr.Wrap(apierr.UnknownField, err)
		e.Field = field
		return e.With("Field", field)
	}
	return apierr.Wrap(apierr.InvalidJSON, err)
}

// ReadLimited reads at most n bytes of the body; more is a BodyTooLarge error.
func ReadLimited(c echo.Context, n int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, io.LimitReader(c.Request().Body, n+1))
	if err != nil {
		return nil, jsonError(err)
	}
	if int64(buf.Len()) > n {
		return nil, apierr.New(apierr.BodyTooLarge)
	}
	return buf.Bytes(), nil
}
