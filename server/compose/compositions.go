package compose

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// maxNameChars bounds a composition's display name.
const maxNameChars = 200

// compositionInput is the request body: a composition plus its display name.
// (Fields are spelled out rather than embedded so decoding errors name
// "layers.comfort.seated", not "Composition.layers…".)
type compositionInput struct {
	Name     string              `json:"name"`
	Template string              `json:"template"`
	Params   environments.Params `json:"params"`
	Layers   environments.Layers `json:"layers"`
}

// CompositionView is one revision of a composition as the API returns it.
type CompositionView struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Template    string          `json:"template"`
	Revision    int             `json:"revision"`
	Latest      int             `json:"latest"`
	Hash        string          `json:"hash"`
	Composition json.RawMessage `json:"composition"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	// ArchivedAt is when the composition was archived (null while in use).
	ArchivedAt *time.Time `json:"archived_at"`
	ArchivedBy string     `json:"archived_by,omitempty"`
	Unchanged  bool       `json:"unchanged,omitempty"`
}

func compositionView(h store.Composition, r store.CompositionRevision) CompositionView {
	return CompositionView{ID: h.ID, Name: h.Name, Template: h.Template, Revision: r.Rev, Latest: h.Latest, Hash: r.Hash,
		Composition: json.RawMessage(r.Body), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt,
		ArchivedAt: h.ArchivedAt, ArchivedBy: h.ArchivedBy}
}

// decodeComposition reads, validates and freezes a composition request; the
// returned revision carries the canonical JSON and content hash.
func (s *Service) decodeComposition(c echo.Context, prev *environments.Revision) (compositionInput, environments.Revision, error) {
	var in compositionInput
	if err := readDoc(c, environments.MaxCompositionBytes, &in); err != nil {
		return in, environments.Revision{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(in.Name) > maxNameChars {
		return in, environments.Revision{}, apierr.Invalid("name", "at most 200 characters")
	}
	comp := environments.Composition{Template: in.Template, Params: in.Params, Layers: in.Layers}
	rev, err := environments.NewRevision(s.cat, prev, comp)
	if err != nil {
		return in, rev, s.invalid(c, err)
	}
	return in, rev, nil
}

func (s *Service) createComposition(c echo.Context) error {
	p := auth.From(c)
	in, rev, err := s.decodeComposition(c, nil)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	h := store.Composition{ID: store.NewID(), ClinicID: p.User.ClinicID, Name: in.Name, Template: in.Template, Latest: rev.Number,
		CreatedBy: p.User.ID, CreatedAt: now, UpdatedAt: now}
	r := store.CompositionRevision{CompositionID: h.ID, Rev: rev.Number, ClinicID: h.ClinicID, Body: string(rev.Body()),
		Hash: rev.Hash, CreatedBy: p.User.ID, CreatedAt: now}
	ctx := c.Request().Context()
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&h).Error; err != nil {
			return err
		}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return audit(ctx, tx, p, "composition.create", "composition", h.ID, r.Hash)
	})
	if err != nil {
		return apierr.Errorf("compose: creating composition: %w", err)
	}
	return c.JSON(http.StatusCreated, compositionView(h, r))
}

// updateComposition stores a new revision. Content identical to the latest
// revision (same hash) creates nothing; only the name may change then. An
// archived composition takes no new revision until restored.
func (s *Service) updateComposition(c echo.Context) error {
	p := auth.From(c)
	ctx := c.Request().Context()
	h, latest, err := s.loadComposition(ctx, p.User.ClinicID, c.Param("id"), 0)
	if err != nil {
		return err
	}
	if h.ArchivedAt != nil {
		return archivedError("")
	}
	in, rev, err := s.decodeComposition(c, &environments.Revision{Number: h.Latest})
	if err != nil {
		return err
	}
	if in.Template != h.Template {
		return apierr.Invalid("template", "a composition keeps its template; create a new composition for another scene")
	}
	unchanged := rev.Hash == latest.Hash
	now := s.now().UTC()
	h.Name, h.UpdatedAt = in.Name, now
	r := latest
	if !unchanged {
		h.Latest = rev.Number
		r = store.CompositionRevision{CompositionID: h.ID, Rev: rev.Number, ClinicID: h.ClinicID, Body: string(rev.Body()),
			Hash: rev.Hash, CreatedBy: p.User.ID, CreatedAt: now}
	}
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The conditional update guards against a concurrent save of the
		// same revision number, and against an archive since the load.
		res := tx.Model(&store.Composition{}).Where("id = ? AND latest = ? AND archived_at IS NULL", h.ID, latest.Rev).
			Updates(map[string]any{"name": h.Name, "latest": h.Latest, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return apierr.New(apierr.Conflict)
		}
		if !unchanged {
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
		}
		return audit(ctx, tx, p, "composition.update", "composition", h.ID, "rev "+strconv.Itoa(r.Rev)+" "+r.Hash)
	})
	if err != nil {
		return apierr.From(err)
	}
	v := compositionView(h, r)
	v.Unchanged = unchanged
	return c.JSON(http.StatusOK, v)
}

// loadComposition returns a clinic's composition and one revision (0: latest).
// Another clinic's composition is NotFound, never Forbidden (no existence leak).
func (s *Service) loadComposition(ctx context.Context, clinicID, id string, rev int) (store.Composition, store.CompositionRevision, error) {
	var r store.CompositionRevision
	h, err := store.InClinic[store.Composition](ctx, s.store.DB, "composition", clinicID, id)
	if err != nil {
		return h, r, err
	}
	if rev == 0 {
		rev = h.Latest
	}
	r, err = store.InClinicBy[store.CompositionRevision](ctx, s.store.DB, "composition revision", clinicID, "composition_id = ? AND rev = ?", h.ID, rev)
	return h, r, err
}

func (s *Service) getComposition(c echo.Context) error {
	h, r, err := s.loadComposition(c.Request().Context(), auth.From(c).User.ClinicID, c.Param("id"), 0)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, compositionView(h, r))
}

func (s *Service) getCompositionRevision(c echo.Context) error {
	rev, err := revParam(c)
	if err != nil {
		return err
	}
	h, r, err := s.loadComposition(c.Request().Context(), auth.From(c).User.ClinicID, c.Param("id"), rev)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, compositionView(h, r))
}

// listCompositions lists the clinic's compositions in use, with the archived
// ones too when ?archived=1.
func (s *Service) listCompositions(c echo.Context) error {
	archived, err := includeArchived(c)
	if err != nil {
		return err
	}
	heads, byID, err := listLatest[store.Composition, store.CompositionRevision](c.Request().Context(), s.store.DB, compositionHeads, auth.From(c).User.ClinicID, archived,
		func(r store.CompositionRevision) string { return r.CompositionID })
	if err != nil {
		return err
	}
	out := make([]CompositionView, 0, len(heads))
	for _, h := range heads {
		out = append(out, compositionView(h, byID[h.ID]))
	}
	return c.JSON(http.StatusOK, map[string]any{"compositions": out})
}

func (s *Service) listCompositionRevisions(c echo.Context) error {
	ctx := c.Request().Context()
	h, _, err := s.loadComposition(ctx, auth.From(c).User.ClinicID, c.Param("id"), 0)
	if err != nil {
		return err
	}
	var revs []store.CompositionRevision
	if err := s.store.DB.WithContext(ctx).Where("composition_id = ?", h.ID).Order("rev").Find(&revs).Error; err != nil {
		return apierr.Errorf("compose: listing revisions: %w", err)
	}
	out := make([]CompositionView, len(revs))
	for i, r := range revs {
		out[i] = compositionView(h, r)
	}
	return c.JSON(http.StatusOK, map[string]any{"revisions": out})
}

// revParam reads the :rev path parameter, a revision number ≥ 1.
func revParam(c echo.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("rev"))
	if err != nil || n < 1 {
		return 0, apierr.Invalid("rev", "a revision number is a whole number from 1")
	}
	return n, nil
}
