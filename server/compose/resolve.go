package compose

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/havenvr/haven/environments"
	"github.com/havenvr/haven/protocols"
	"github.com/havenvr/haven/server/apierr"
	"github.com/havenvr/haven/server/store"
)

// ResolvedProtocol is the exact protocol revision a session runs. Protocol
// is a private copy, safe to hand to protocols.NewEngine and to mutate.
type ResolvedProtocol struct {
	Protocol *protocols.Protocol
	ID       string // clinic protocol id, or the library id
	Source   string // SourceClinic or SourceLibrary
	Revision int
	Hash     string // content hash; the session's timeline records it
}

// ResolvedComposition is the exact composition revision a session loads.
type ResolvedComposition struct {
	Composition environments.Composition
	ID          string
	Revision    int
	Hash        string
}

// ResolveProtocol finds protocol id of clinicID at revision rev (0 = latest)
// for a new use — a session being scheduled, a ladder being assigned: the
// clinic's own protocols first, then the built-in library (whose only
// revision is LibraryRevision). Another clinic's protocol is apierr NotFound;
// an archived one, at any revision, is apierr Archived (field protocol_id).
//
// Sessions scheduled before an archive are unaffected: they keep a copy of
// the exact revision they run and never resolve it again. (Only sessions
// stored before schema step 9 resolve at start, and those name library
// protocols, which cannot be archived.)
func (s *Service) ResolveProtocol(ctx context.Context, clinicID, id string, rev int) (ResolvedProtocol, error) {
	return s.resolveProtocol(ctx, clinicID, id, rev, false)
}

// resolveProtocol is ResolveProtocol; withArchived also resolves an archived
// clinic protocol, for reading what was already assigned.
func (s *Service) resolveProtocol(ctx context.Context, clinicID, id string, rev int, withArchived bool) (ResolvedProtocol, error) {
	if rev < 0 {
		return ResolvedProtocol{}, apierr.Invalid("revision", "cannot be negative")
	}
	h, r, err := s.loadProtocol(ctx, clinicID, id, rev)
	if err == nil {
		if h.ArchivedAt != nil && !withArchived {
			return ResolvedProtocol{}, archivedError("protocol_id")
		}
		p, err := protocols.Decode([]byte(r.Body))
		if err != nil {
			return ResolvedProtocol{}, fmt.Errorf("compose: decoding protocol %s rev %d: %w", h.ID, r.Rev, err)
		}
		return ResolvedProtocol{Protocol: p, ID: h.ID, Source: SourceClinic, Revision: r.Rev, Hash: r.Hash}, nil
	}
	// Clinic protocol ids are random 26-character store ids, never a
	// library file name, so a miss here can only mean the library.
	lp, inLib := s.lib.Get(id)
	if e := apierr.From(err); e.Code != apierr.NotFound || !inLib {
		return ResolvedProtocol{}, err
	}
	if rev != 0 && rev != LibraryRevision {
		return ResolvedProtocol{}, apierr.New(apierr.NotFound)
	}
	body, err := json.Marshal(lp)
	if err != nil {
		return ResolvedProtocol{}, fmt.Errorf("compose: copying library protocol %s: %w", id, err)
	}
	p, err := protocols.Decode(body)
	if err != nil {
		return ResolvedProtocol{}, fmt.Errorf("compose: copying library protocol %s: %w", id, err)
	}
	return ResolvedProtocol{Protocol: p, ID: id, Source: SourceLibrary, Revision: LibraryRevision, Hash: lp.Hash()}, nil
}

// ResolveComposition finds composition id of clinicID at revision rev
// (0 = latest) for a session being scheduled; another clinic's composition
// is apierr NotFound, an archived one apierr Archived (field
// composition_id). Sessions scheduled before the archive keep their copy of
// the composition and run as planned.
func (s *Service) ResolveComposition(ctx context.Context, clinicID, id string, rev int) (ResolvedComposition, error) {
	if rev < 0 {
		return ResolvedComposition{}, apierr.Invalid("revision", "cannot be negative")
	}
	h, r, err := s.loadComposition(ctx, clinicID, id, rev)
	if err != nil {
		return ResolvedComposition{}, err
	}
	if h.ArchivedAt != nil {
		return ResolvedComposition{}, archivedError("composition_id")
	}
	comp, err := environments.DecodeComposition([]byte(r.Body))
	if err != nil {
		return ResolvedComposition{}, fmt.Errorf("compose: decoding composition %s rev %d: %w", h.ID, r.Rev, err)
	}
	return ResolvedComposition{Composition: comp, ID: h.ID, Revision: r.Rev, Hash: r.Hash}, nil
}

// PatientLadder resolves the ladder revision currently assigned to a patient
// of clinicID; ok is false when none is assigned. Another clinic's patient
// is apierr NotFound.
func (s *Service) PatientLadder(ctx context.Context, clinicID, patientID string) (res ResolvedProtocol, a store.LadderAssignment, ok bool, err error) {
	if _, err := s.clinic.Load(ctx, clinicID, patientID); err != nil {
		return res, a, false, err
	}
	a, err = store.InClinicBy[store.LadderAssignment](ctx, s.store.DB.Order("id DESC"), "ladder assignment", clinicID, "patient_id = ?", patientID)
	if apierr.From(err).Code == apierr.NotFound {
		return res, a, false, nil
	}
	if err != nil {
		return res, a, false, err
	}
	// An assignment made before its ladder was archived stays the patient's
	// plan: the exact revision is still read (assigning it anew is refused).
	res, err = s.resolveProtocol(ctx, clinicID, a.ProtocolID, a.Rev, true)
	if err != nil {
		return res, a, false, err
	}
	if res.Hash != a.Hash {
		// A library protocol changed with a new build: the patient's plan is
		// no longer what was assigned, so refuse rather than run other content.
		return res, a, false, apierr.New(apierr.Conflict).With("Detail", "assigned ladder content changed")
	}
	return res, a, true, nil
}
