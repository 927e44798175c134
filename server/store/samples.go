package store

// SampleChunk is one acknowledged biosignal batch of one session: its samples
// encoded compactly (server/ingest's codec) in Data, so a session at 32 Hz
// EDA costs ~4 rows a second instead of 32. (session_id, stream, seq) is
// unique: a client resending an unacknowledged batch after a reconnect is
// recognised and acknowledged without a second row.
type SampleChunk struct {
	ID        uint64 `gorm:"primaryKey;autoIncrement"`
	SessionID string `gorm:"size:32;not null;uniqueIndex:idx_chunk_key,priority:1"`
	Stream    string `gorm:"size:16;not null;uniqueIndex:idx_chunk_key,priority:2"`
	Seq       uint64 `gorm:"not null;uniqueIndex:idx_chunk_key,priority:3"`
	T0        int64  `gorm:"not null"` // unix ms of the first sample
	T1        int64  `gorm:"not null"` // unix ms of the last sample
	N         int    `gorm:"not null"` // samples in Data
	Artifacts int    `gorm:"not null"` // samples flagged as artifacts
	Data      []byte `gorm:"not null"`
	// SourceKind, SourceName and SourceID are the batch's provenance
	// (biosignal.Source): sensor, simulator or unknown (rows written before
	// provenance was recorded, and senders that name none).
	SourceKind string `gorm:"size:16;not null;default:unknown"`
	SourceName string `gorm:"size:64"`
	SourceID   string `gorm:"size:64"`
}
