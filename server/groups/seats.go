package groups

import (
	"context"
	"time"

	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
)

// SeatHold is how long an admitted member keeps a seat while not connected:
// time to open the peer after joining or being admitted, or to reconnect
// after a dropped link. After it the seat goes to whoever asks next.
const SeatHold = 2 * time.Minute

// maxLobby bounds the members waiting in a room's lobby. Waiting members hold
// no seat, so capacity does not bound them; this only stops a flood of
// throw-away identities from growing the room without limit.
const maxLobby = MaxCapacity

// A room's capacity counts people present, not member records: an admitted
// member holds a seat while connected, or for SeatHold after joining, being
// admitted or leaving. Members in the lobby, removed or banned hold none.
// Seats live in memory with the room's peers, which they describe; a server
// restart frees them, and members take them again as they reconnect.

// seatedLocked reports whether member id holds a seat now.
func (r *room) seatedLocked(id string, now time.Time) bool {
	if c := r.conns[id]; c != nil && c.role == RoleMember && c.admitted {
		return true
	}
	return now.Before(r.holds[id])
}

// occupiedLocked counts the seats held now, forgetting holds that ran out.
func (r *room) occupiedLocked(now time.Time) int {
	n := 0
	for _, c := range r.conns {
		if c.role == RoleMember && c.admitted {
			n++
		}
	}
	for id, until := range r.holds {
		switch c := r.conns[id]; {
		case !now.Before(until):
			delete(r.holds, id)
		case c == nil || !c.admitted:
			n++
		}
	}
	return n
}

// takeSeat gives member id a seat (or renews the one it holds) for
// SeatHold; a full room refuses with room_full. Checking and taking happen
// under one lock, so concurrent joins cannot overfill the room. undo puts
// the seat back as it was, for a change that did not happen after all.
func (r *room) takeSeat(id string, now time.Time) (undo func(), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seatedLocked(id, now) && r.occupiedLocked(now) >= r.row.Capacity {
		return nil, apierr.New(apierr.RoomFull)
	}
	prev, had := r.holds[id]
	r.holds[id] = now.Add(SeatHold)
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if had {
			r.holds[id] = prev
		} else {
			delete(r.holds, id)
		}
	}, nil
}

// seat takes a seat in the room for an admitted member.
func (s *Service) seat(ctx context.Context, roomID, memberID string) (undo func(), err error) {
	r, err := s.live(ctx, roomID)
	if err != nil {
		return nil, err
	}
	return r.takeSeat(memberID, s.now())
}

// seatIfAdmitted makes sure a returning admitted member holds a seat; a
// member in the lobby (or removed, back through it) needs none.
func (s *Service) seatIfAdmitted(ctx context.Context, m store.GroupMember) error {
	if m.AdmittedAt == nil || m.RemovedAt != nil {
		return nil
	}
	_, err := s.seat(ctx, m.RoomID, m.ID)
	return err
}

// seatToAdmit takes the seat a moderator's admit needs before anything is
// written: a full room refuses it and nothing changes. Other actions need
// none; undo is then a no-op.
func (s *Service) seatToAdmit(ctx context.Context, m store.GroupMember, action string) (undo func(), err error) {
	if action != ActAdmit || m.BannedAt != nil {
		return func() {}, nil
	}
	return s.seat(ctx, m.RoomID, m.ID)
}

// lobbyHasRoom bounds the lobby (see maxLobby).
func (s *Service) lobbyHasRoom(ctx context.Context, roomID string) error {
	var waiting int64
	if err := s.store.DB.WithContext(ctx).Model(&store.GroupMember{}).
		Where("room_id = ? AND admitted_at IS NULL AND removed_at IS NULL AND banned_at IS NULL", roomID).
		Count(&waiting).Error; err != nil {
		return apierr.Errorf("groups: counting the lobby: %w", err)
	}
	if waiting >= maxLobby {
		return apierr.New(apierr.RoomFull)
	}
	return nil
}
