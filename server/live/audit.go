package live

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// auditRead records that the signed-in account read clinical session data
// (what names the view: session, timeline, events, report, report.series),
// before anything is sent — like a patient read. A read that cannot be
// recorded is not served.
func (s *Service) auditRead(c echo.Context, sessionID, what string) error {
	p := auth.From(c)
	if err := store.Audit(c.Request().Context(), s.opts.Store.DB, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
		Action: "session.read", Target: "session", TargetID: sessionID, Detail: what}); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return nil
}

// auditList records a read of the session list, naming every session in it.
func (s *Service) auditList(c echo.Context, ids []string) error {
	p := auth.From(c)
	if err := store.Audit(c.Request().Context(), s.opts.Store.DB, store.AuditEvent{ClinicID: p.User.ClinicID, ActorID: p.User.ID,
		Action: "session.list", Target: "session", Detail: strings.Join(ids, " ")}); err != nil {
		return apierr.Wrap(apierr.Internal, err)
	}
	return nil
}
