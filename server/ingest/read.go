package ingest

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/havenvr/haven/server/biosignal"
	"github.com/havenvr/haven/server/store"
	"gorm.io/gorm"
)

// ReadSession returns every stored sample of a session in time order (ties
// keep storage order), for export. Streams filters by chunk stream (none: all).
func ReadSession(ctx context.Context, db *gorm.DB, sessionID string, streams ...biosignal.Stream) ([]biosignal.Sample, error) {
	q := db.WithContext(ctx).Model(&store.SampleChunk{}).Where("session_id = ?", sessionID)
	if len(streams) > 0 {
		names := make([]string, len(streams))
		for i, s := range streams {
			names[i] = string(s)
		}
		q = q.Where("stream IN ?", names)
	}
	var rows []store.SampleChunk
	if err := q.Order("t0, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("ingest: reading session %s: %w", sessionID, err)
	}
	var out []biosignal.Sample
	for _, r := range rows {
		var err error
		if out, err = Decode(out, r.Data); err != nil {
			return nil, fmt.Errorf("ingest: chunk %d of session %s: %w", r.ID, sessionID, err)
		}
	}
	slices.SortStableFunc(out, func(a, b biosignal.Sample) int { return cmp.Compare(a.T, b.T) })
	return out, nil
}
