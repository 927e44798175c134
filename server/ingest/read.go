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
	out, _, err := ReadSessionSources(ctx, db, sessionID, streams...)
	return out, err
}

// maxSources bounds the distinct sources of one read: Sample.Src is a byte.
const maxSources = 255

// ReadSessionSources is ReadSession with provenance: each sample's Src
// indexes the returned sources (distinct, in order of first appearance).
func ReadSessionSources(ctx context.Context, db *gorm.DB, sessionID string, streams ...biosignal.Stream) ([]biosignal.Sample, []biosignal.Source, error) {
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
		return nil, nil, fmt.Errorf("ingest: reading session %s: %w", sessionID, err)
	}
	var out []biosignal.Sample
	var sources []biosignal.Source
	for _, r := range rows {
		src := biosignal.Source{Kind: r.SourceKind, Name: r.SourceName, ID: r.SourceID}.Normal()
		i := slices.Index(sources, src)
		if i < 0 {
			if len(sources) == maxSources {
				return nil, nil, fmt.Errorf("ingest: session %s has more than %d sample sources", sessionID, maxSources)
			}
			i = len(sources)
			sources = append(sources, src)
		}
		n := len(out)
		var err error
		if out, err = Decode(out, r.Data); err != nil {
			return nil, nil, fmt.Errorf("ingest: chunk %d of session %s: %w", r.ID, sessionID, err)
		}
		for j := n; j < len(out); j++ {
			out[j].Src = uint8(i)
		}
	}
	slices.SortStableFunc(out, func(a, b biosignal.Sample) int { return cmp.Compare(a.T, b.T) })
	return out, sources, nil
}
