package compose

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
)

// Protocol sources: a clinic's own revisioned protocols, or the library
// embedded in the binary (one revision per build, pinned by its hash).
const (
	SourceClinic  = "clinic"
	SourceLibrary = "library"
	// LibraryRevision is the only revision a library protocol has.
	LibraryRevision = 1
)

// ProtocolView is one protocol revision as the API returns it.
type ProtocolView struct {
	ID        string          `json:"id"`
	Source    string          `json:"source"`
	Kind      string          `json:"kind"`
	Template  string          `json:"template"`
	TitleKey  string          `json:"title_key"`
	Title     string          `json:"title"`
	Revision  int             `json:"revision"`
	Latest    int             `json:"latest"`
	Hash      string          `json:"hash"`
	Protocol  json.RawMessage `json:"protocol"`
	Warnings  []WarningView   `json:"warnings"`
	CreatedBy string          `json:"created_by,omitempty"`
	CreatedAt *time.Time      `json:"created_at,omitempty"`
	// ArchivedAt is when a clinic protocol was archived (null while in use,
	// and always for the library).
	ArchivedAt *time.Time `json:"archived_at"`
	ArchivedBy string     `json:"archived_by,omitempty"`
	Unchanged  bool       `json:"unchanged,omitempty"`
}

// WarningView is advice that did not block saving, localized.
type WarningView struct {
	protocols.Warning
	Message string `json:"message"`
}

func (s *Service) localize(c echo.Context, id string, data map[string]any) string {
	if s.web == nil {
		return id
	}
	return s.web.Localize(c, id, data)
}

func (s *Service) protocolView(c echo.Context, id, source string, p *protocols.Protocol, rev, latest int) ProtocolView {
	body, _ := json.Marshal(p)
	v := ProtocolView{ID: id, Source: source, Kind: p.Kind, Template: p.Template, TitleKey: p.TitleKey,
		Title: protocolTitle(s.localize(c, p.TitleKey, nil), p.Name), Revision: rev, Latest: latest, Hash: p.Hash(),
		Protocol: body, Warnings: []WarningView{}}
	for _, w := range p.Warnings() {
		v.Warnings = append(v.Warnings, WarningView{Warning: w, Message: s.localize(c, w.MessageID, w.Args)})
	}
	return v
}

func (s *Service) storedView(c echo.Context, h store.ClinicProtocol, r store.ProtocolRevision) (ProtocolView, error) {
	p, err := protocols.Decode([]byte(r.Body))
	if err != nil {
		return ProtocolView{}, apierr.Errorf("compose: decoding stored protocol %s rev %d: %w", h.ID, r.Rev, err)
	}
	v := s.protocolView(c, h.ID, SourceClinic, p, r.Rev, h.Latest)
	// Serve the stored bytes: they are what the hash was computed over.
	v.Protocol, v.Hash, v.CreatedBy, v.CreatedAt = json.RawMessage(r.Body), r.Hash, r.CreatedBy, &r.CreatedAt
	v.ArchivedAt, v.ArchivedBy = h.ArchivedAt, h.ArchivedBy
	return v, nil
}

func (s *Service) listLibrary(c echo.Context) error {
	out := []ProtocolView{}
	for _, p := range s.lib.List() {
		out = append(out, s.protocolView(c, p.ID, SourceLibrary, p, LibraryRevision, LibraryRevision))
	}
	return c.JSON(http.StatusOK, map[string]any{"protocols": out})
}

func (s *Service) getLibrary(c echo.Context) error {
	p, ok := s.lib.Get(c.Param("id"))
	if !ok {
		return apierr.New(apierr.NotFound)
	}
	return c.JSON(http.StatusOK, s.protocolView(c, p.ID, SourceLibrary, p, LibraryRevision, LibraryRevision))
}

// decodeProtocol reads and validates a protocol document. A document without
// an id takes the row id, so the engine's timeline names it unambiguously.
func (s *Service) decodeProtocol(c echo.Context, rowID string) (*protocols.Protocol, []byte, error) {
	var p protocols.Protocol
	if err := readDoc(c, protocols.MaxProtocolBytes, &p); err != nil {
		return nil, nil, err
	}
	if p.ID == "" {
		p.ID = rowID
	}
	if err := p.Validate(s.cat); err != nil {
		return nil, nil, s.invalid(c, err)
	}
	body, err := json.Marshal(&p)
	if err != nil {
		return nil, nil, apierr.Errorf("compose: encoding protocol: %w", err)
	}
	return &p, body, nil
}

func (s *Service) createProtocol(c echo.Context) error {
	pr := auth.From(c)
	id := store.NewID()
	p, body, err := s.decodeProtocol(c, id)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	h := store.ClinicProtocol{ID: id, ClinicID: pr.User.ClinicID, Kind: p.Kind, Template: p.Template, Latest: 1,
		CreatedBy: pr.User.ID, CreatedAt: now, UpdatedAt: now}
	r := store.ProtocolRevision{ProtocolID: id, Rev: 1, ClinicID: h.ClinicID, Body: string(body), Hash: p.Hash(),
		CreatedBy: pr.User.ID, CreatedAt: now}
	ctx := c.Request().Context()
	err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&h).Error; err != nil {
			return err
		}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return audit(ctx, tx, pr, "protocol.create", "protocol", id, r.Hash)
	})
	if err != nil {
		return apierr.Errorf("compose: creating protocol: %w", err)
	}
	v, err := s.storedView(c, h, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// updateProtocol stores a new revision; an identical document (same hash)
// creates nothing. The kind never changes: a patient's assigned ladder must
// stay a ladder. An archived protocol takes no new revision until restored.
func (s *Service) updateProtocol(c echo.Context) error {
	pr := auth.From(c)
	ctx := c.Request().Context()
	h, latest, err := s.loadProtocol(ctx, pr.User.ClinicID, c.Param("id"), 0)
	if err != nil {
		return err
	}
	if h.ArchivedAt != nil {
		return archivedError("")
	}
	p, body, err := s.decodeProtocol(c, h.ID)
	if err != nil {
		return err
	}
	if p.Kind != h.Kind {
		return apierr.Invalid("kind", "a protocol keeps its kind; create a new protocol instead")
	}
	hash := p.Hash()
	r := latest
	unchanged := hash == latest.Hash
	now := s.now().UTC()
	if !unchanged {
		r = store.ProtocolRevision{ProtocolID: h.ID, Rev: h.Latest + 1, ClinicID: h.ClinicID, Body: string(body), Hash: hash,
			CreatedBy: pr.User.ID, CreatedAt: now}
		h.Latest, h.Template, h.UpdatedAt = r.Rev, p.Template, now
		err = s.store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			res := tx.Model(&store.ClinicProtocol{}).Where("id = ? AND latest = ? AND archived_at IS NULL", h.ID, latest.Rev).
				Updates(map[string]any{"latest": h.Latest, "template": h.Template, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return apierr.New(apierr.Conflict)
			}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			return audit(ctx, tx, pr, "protocol.update", "protocol", h.ID, "rev "+strconv.Itoa(r.Rev)+" "+hash)
		})
		if err != nil {
			return apierr.From(err)
		}
	}
	v, err := s.storedView(c, h, r)
	if err != nil {
		return err
	}
	v.Unchanged = unchanged
	return c.JSON(http.StatusOK, v)
}

// loadProtocol returns a clinic protocol and one revision (0: latest);
// another clinic's protocol is NotFound.
func (s *Service) loadProtocol(ctx context.Context, clinicID, id string, rev int) (store.ClinicProtocol, store.ProtocolRevision, error) {
	var r store.ProtocolRevision
	h, err := store.InClinic[store.ClinicProtocol](ctx, s.store.DB, "protocol", clinicID, id)
	if err != nil {
		return h, r, err
	}
	if rev == 0 {
		rev = h.Latest
	}
	r, err = store.InClinicBy[store.ProtocolRevision](ctx, s.store.DB, "protocol revision", clinicID, "protocol_id = ? AND rev = ?", h.ID, rev)
	return h, r, err
}

func (s *Service) getProtocol(c echo.Context) error {
	return s.respondProtocol(c, 0)
}

func (s *Service) getProtocolRevision(c echo.Context) error {
	rev, err := revParam(c)
	if err != nil {
		return err
	}
	return s.respondProtocol(c, rev)
}

func (s *Service) respondProtocol(c echo.Context, rev int) error {
	h, r, err := s.loadProtocol(c.Request().Context(), auth.From(c).User.ClinicID, c.Param("id"), rev)
	if err != nil {
		return err
	}
	v, err := s.storedView(c, h, r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// listProtocols lists the clinic's protocols in use, with the archived ones
// too when ?archived=1.
func (s *Service) listProtocols(c echo.Context) error {
	archived, err := includeArchived(c)
	if err != nil {
		return err
	}
	heads, byID, err := listLatest[store.ClinicProtocol, store.ProtocolRevision](c.Request().Context(), s.store.DB, protocolHeads, auth.From(c).User.ClinicID, archived,
		func(r store.ProtocolRevision) string { return r.ProtocolID })
	if err != nil {
		return err
	}
	out := make([]ProtocolView, 0, len(heads))
	for _, h := range heads {
		v, err := s.storedView(c, h, byID[h.ID])
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"protocols": out})
}

func (s *Service) listProtocolRevisions(c echo.Context) error {
	ctx := c.Request().Context()
	h, _, err := s.loadProtocol(ctx, auth.From(c).User.ClinicID, c.Param("id"), 0)
	if err != nil {
		return err
	}
	var revs []store.ProtocolRevision
	if err := s.store.DB.WithContext(ctx).Where("protocol_id = ?", h.ID).Order("rev").Find(&revs).Error; err != nil {
		return apierr.Errorf("compose: listing protocol revisions: %w", err)
	}
	out := make([]ProtocolView, 0, len(revs))
	for _, r := range revs {
		v, err := s.storedView(c, h, r)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"revisions": out})
}

// protocolTitle is a protocol's clinic-given name, else its localized title.
func protocolTitle(localized, name string) string {
	if name != "" {
		return name
	}
	return localized
}
