package groups

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/auth"
	"github.com/havenvr/haven/server/store"
	"github.com/havenvr/haven/server/web"
)

// Room limits.
const (
	DefaultCapacity = 30
	MaxCapacity     = 1000
	MaxRetainDays   = 90
)

// codeAlphabet avoids look-alikes (0/O, 1/I/L) so codes survive being read aloud.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 8)
	for i := range b {
		b[i] = codeAlphabet[randInt(len(codeAlphabet))]
	}
	return string(b)
}

type roomRequest struct {
	Topic            string     `json:"topic"`
	Locale           string     `json:"locale"`
	Country          string     `json:"country"`
	Capacity         int        `json:"capacity"`
	Rules            string     `json:"rules"`
	OpensAt          *time.Time `json:"opens_at"`
	ClosesAt         *time.Time `json:"closes_at"`
	RequireModerator *bool      `json:"require_moderator"`
	Lobby            *bool      `json:"lobby"`
	RetainDays       int        `json:"retain_days"`
	Space            string     `json:"space"`
}

// RoomView is the JSON shape of a room for staff.
type RoomView struct {
	ID               string     `json:"id"`
	Code             string     `json:"code"`
	Topic            string     `json:"topic"`
	Locale           string     `json:"locale"`
	Country          string     `json:"country,omitempty"`
	Capacity         int        `json:"capacity"`
	Rules            string     `json:"rules"`
	OpensAt          *time.Time `json:"opens_at,omitempty"`
	ClosesAt         *time.Time `json:"closes_at,omitempty"`
	RequireModerator bool       `json:"require_moderator"`
	Lobby            bool       `json:"lobby"`
	RetainDays       int        `json:"retain_days"`
	SlowModeSeconds  int        `json:"slow_mode_seconds"`
	Locked           bool       `json:"locked"`
	State            RoomState  `json:"state"`
	EndedAt          *time.Time `json:"ended_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	// Space is the calming scene the room opens in as a 3D circle; "" for a text room.
	Space string `json:"space"`
}

func (s *Service) view(row store.GroupRoom) RoomView {
	return RoomView{ID: row.ID, Code: row.Code, Topic: row.Topic, Locale: row.Locale, Country: row.Country, Capacity: row.Capacity,
		Rules: row.Rules, OpensAt: row.OpensAt, ClosesAt: row.ClosesAt, RequireModerator: row.RequireModerator, Lobby: row.Lobby,
		RetainDays: row.RetainDays, SlowModeSeconds: row.SlowModeSeconds, Locked: row.Locked, State: s.stateOf(row),
		EndedAt: row.EndedAt, CreatedAt: row.CreatedAt, Space: row.Space}
}

func (req *roomRequest) validate(b *i18n.Bundle) error {
	req.Topic = strings.Join(strings.Fields(Sanitize(req.Topic)), " ")
	if n := len([]rune(req.Topic)); n < 3 || n > 200 {
		return apierr.Invalid("topic", "3 to 200 characters")
	}
	loc, err := b.ParseLocale(req.Locale)
	if err != nil || !shipped(loc) {
		return apierr.Invalid("locale", "one of "+strings.Join(i18n.Shipped, ", "))
	}
	req.Locale = loc
	req.Country = strings.ToUpper(req.Country)
	if req.Country != "" && (len(req.Country) != 2 || strings.Trim(req.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		return apierr.Invalid("country", "ISO 3166-1 alpha-2 code")
	}
	if req.Capacity == 0 {
		req.Capacity = DefaultCapacity
	}
	if req.Capacity < 2 || req.Capacity > MaxCapacity {
		return apierr.Invalid("capacity", "2 to 1000")
	}
	req.Rules = Sanitize(req.Rules)
	if len([]rune(req.Rules)) > 4000 {
		return apierr.Invalid("rules", "at most 4000 characters")
	}
	if req.OpensAt != nil && req.ClosesAt != nil && !req.ClosesAt.After(*req.OpensAt) {
		return apierr.Invalid("closes_at", "must be after opens_at")
	}
	if req.RetainDays < 0 || req.RetainDays > MaxRetainDays {
		return apierr.Invalid("retain_days", "0 to 90")
	}
	if req.Space != "" && !slices.Contains(Spaces, req.Space) {
		return apierr.Invalid("space", "empty (a text room) or one of "+strings.Join(Spaces, ", "))
	}
	return nil
}

func shipped(loc string) bool {
	for _, l := range i18n.Shipped {
		if l == loc {
			return true
		}
	}
	return false
}

func orTrue(b *bool) bool { return b == nil || *b }

func (s *Service) createRoom(c echo.Context) error {
	p := auth.From(c)
	var req roomRequest
	if err := web.BindJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(s.opts.Bundle); err != nil {
		return err
	}
	row := store.GroupRoom{ID: store.NewID(), ClinicID: p.User.ClinicID, Code: newCode(), Topic: req.Topic, Locale: req.Locale,
		Country: req.Country, Capacity: req.Capacity, Rules: req.Rules, OpensAt: utc(req.OpensAt), ClosesAt: utc(req.ClosesAt),
		RequireModerator: orTrue(req.RequireModerator), Lobby: orTrue(req.Lobby), RetainDays: req.RetainDays,
		CreatedBy: p.User.ID, CreatedAt: s.now().UTC(), Space: req.Space}
	err := s.store.DB.WithContext(c.Request().Context()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return store.Audit(c.Request().Context(), tx, store.AuditEvent{ClinicID: row.ClinicID, ActorID: p.User.ID,
			Action: "group.create", Target: "group_room", TargetID: row.ID, Detail: detail(map[string]any{"topic": row.Topic})})
	})
	if err != nil {
		return apierr.Errorf("groups: creating room: %w", err)
	}
	return c.JSON(http.StatusCreated, s.view(row))
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Service) listRooms(c echo.Context) error {
	var rows []store.GroupRoom
	if err := s.store.DB.WithContext(c.Request().Context()).Where("clinic_id = ?", auth.From(c).User.ClinicID).
		Order("created_at DESC").Limit(500).Find(&rows).Error; err != nil {
		return apierr.Errorf("groups: listing rooms: %w", err)
	}
	out := make([]RoomView, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.view(r))
	}
	return c.JSON(http.StatusOK, out)
}

// roomOf loads the :id room of the principal's clinic; another clinic's room
// is not found, never forbidden (nothing crosses tenants, not even existence).
func (s *Service) roomOf(c echo.Context) (store.GroupRoom, error) {
	return store.InClinic[store.GroupRoom](c.Request().Context(), s.store.DB, "room", auth.From(c).User.ClinicID, c.Param("id"))
}

type memberView struct {
	ID         string     `json:"id"`
	Pseudonym  string     `json:"pseudonym"`
	Connected  bool       `json:"connected"`
	Admitted   bool       `json:"admitted"`
	MutedUntil *time.Time `json:"muted_until,omitempty"`
	Removed    bool       `json:"removed"`
	Banned     bool       `json:"banned"`
}

// getRoom returns the room with its members and lobby for the moderator view.
func (s *Service) getRoom(c echo.Context) error {
	row, err := s.roomOf(c)
	if err != nil {
		return err
	}
	var ms []store.GroupMember
	if err := s.store.DB.WithContext(c.Request().Context()).Where("room_id = ?", row.ID).Order("created_at").Find(&ms).Error; err != nil {
		return apierr.Errorf("groups: listing members: %w", err)
	}
	connected := map[string]bool{}
	moderators := 0
	if r := s.loaded(row.ID); r != nil {
		r.mu.Lock()
		for _, cn := range r.conns {
			connected[cn.memberID] = cn.role == RoleMember
			if cn.role == RoleModerator {
				moderators++
			}
		}
		row = r.row
		r.mu.Unlock()
	}
	members := make([]memberView, 0, len(ms))
	for _, m := range ms {
		members = append(members, memberView{ID: m.ID, Pseudonym: m.Pseudonym, Connected: connected[m.ID],
			Admitted: m.AdmittedAt != nil && m.RemovedAt == nil, MutedUntil: m.MutedUntil, Removed: m.RemovedAt != nil, Banned: m.BannedAt != nil})
	}
	return c.JSON(http.StatusOK, map[string]any{"room": s.view(row), "members": members, "moderators_online": moderators})
}
