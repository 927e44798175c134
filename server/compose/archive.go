package compose

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// Deleting a composition or a clinic protocol archives it. Sessions,
// reports and ladder assignments name exact revisions, and the clinical
// record must stay readable forever, so nothing is ever removed: an archived
// head leaves the lists (unless ?archived=1), takes no new revision, and is
// refused for a new session or ladder assignment (apierr.Archived). Sessions
// scheduled before keep a copy of the exact revision they run and never
// look the head up again, so they run as planned; a patient's assigned
// ladder stays readable (PatientLadder). Restoring undoes it.

// heads names one kind of archivable, revisioned head row.
type heads struct {
	table  string // the head rows' table
	target string // audit target, and the action's prefix
	revs   string // the revision rows' table
	key    string // the revision rows' column naming their head
}

var (
	compositionHeads = heads{table: "compositions", target: "composition", revs: "composition_revisions", key: "composition_id"}
	protocolHeads    = heads{table: "clinic_protocols", target: "protocol", revs: "protocol_revisions", key: "protocol_id"}
)

// listLatest loads a clinic's heads of one kind (newest first; archived
// ones only when asked) and each one's latest revision, keyed by head id,
// in one read transaction: a save between the two queries must not leave a
// head without its revision. headOf reads a revision's head id.
func listLatest[H, R any](ctx context.Context, db *gorm.DB, k heads, clinicID string, archived bool, headOf func(R) string) ([]H, map[string]R, error) {
	var hs []H
	var rs []R
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		hq := tx.Where("clinic_id = ?", clinicID)
		rq := tx.Joins(fmt.Sprintf("JOIN %[1]s ON %[1]s.id = %[2]s.%[3]s AND %[1]s.latest = %[2]s.rev", k.table, k.revs, k.key)).
			Where(k.revs+".clinic_id = ?", clinicID)
		if !archived {
			hq, rq = hq.Where("archived_at IS NULL"), rq.Where(k.table+".archived_at IS NULL")
		}
		if err := hq.Order("updated_at DESC, id").Find(&hs).Error; err != nil {
			return fmt.Errorf("compose: listing %ss: %w", k.target, err)
		}
		if err := rq.Find(&rs).Error; err != nil {
			return fmt.Errorf("compose: loading latest %s revisions: %w", k.target, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, apierr.Wrap(apierr.Internal, err)
	}
	latest := make(map[string]R, len(rs))
	for _, r := range rs {
		latest[headOf(r)] = r
	}
	return hs, latest, nil
}

// archivedHead is the part of a head row archiving reads.
type archivedHead struct {
	ID         string
	Latest     int
	ArchivedAt *time.Time
}

// setArchived archives (archive true) or restores the head c's :id names in
// the caller's clinic, auditing a change in the same transaction. Asking for
// the state the head is already in changes and audits nothing. Another
// clinic's head is NotFound.
func (s *Service) setArchived(c echo.Context, k heads, archive bool) error {
	p := auth.From(c)
	ctx := c.Request().Context()
	now := s.now().UTC()
	err := s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		h, err := store.InClinic[archivedHead](ctx, tx.Table(k.table), k.target, p.User.ClinicID, c.Param("id"))
		if err != nil {
			return err
		}
		if (h.ArchivedAt != nil) == archive {
			return nil
		}
		set, guard, action := map[string]any{"archived_at": nil, "archived_by": ""}, "archived_at IS NOT NULL", ".restore"
		if archive {
			set, guard, action = map[string]any{"archived_at": now, "archived_by": p.User.ID}, "archived_at IS NULL", ".archive"
		}
		// UpdateColumns leaves updated_at alone: a restored item returns to
		// its place in the list.
		res := tx.Table(k.table).Where("id = ? AND "+guard, h.ID).UpdateColumns(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // a concurrent request did it first
		}
		return audit(ctx, tx, p, k.target+action, k.target, h.ID, "rev "+strconv.Itoa(h.Latest))
	})
	if err != nil {
		return apierr.From(err)
	}
	return nil
}

func (s *Service) archiveComposition(c echo.Context) error {
	if err := s.setArchived(c, compositionHeads, true); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) restoreComposition(c echo.Context) error {
	if err := s.setArchived(c, compositionHeads, false); err != nil {
		return err
	}
	return s.getComposition(c)
}

func (s *Service) archiveProtocol(c echo.Context) error {
	if err := s.setArchived(c, protocolHeads, true); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Service) restoreProtocol(c echo.Context) error {
	if err := s.setArchived(c, protocolHeads, false); err != nil {
		return err
	}
	return s.respondProtocol(c, 0)
}

// archivedError refuses a new revision or a new use of an archived item;
// field names the request field that chose it ("" for the path's :id).
func archivedError(field string) error {
	e := apierr.New(apierr.Archived)
	e.Field = field
	return e
}

// includeArchived reads a list's ?archived=: archived items are listed only
// when asked for.
func includeArchived(c echo.Context) (bool, error) {
	switch c.QueryParam("archived") {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, apierr.Invalid("archived", "1 lists archived items too, 0 leaves them out")
}
