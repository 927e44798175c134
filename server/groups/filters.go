package groups

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/havenvr/haven/i18n"
	"github.com/havenvr/haven/server/store"
)

// filters are one clinic's compiled phrase lists over every shipped locale:
// a Spanish speaker in an English room in crisis must still be heard.
type filters struct {
	block  *PhraseSet
	crisis *PhraseSet
}

// phraseCache compiles each clinic's lists once and again after an edit.
type phraseCache struct {
	store *store.Store
	mu    sync.Mutex
	byID  map[string]*filters
}

func newPhraseCache(st *store.Store) *phraseCache {
	return &phraseCache{store: st, byID: map[string]*filters{}}
}

func (pc *phraseCache) get(ctx context.Context, clinicID string) (*filters, error) {
	pc.mu.Lock()
	f := pc.byID[clinicID]
	pc.mu.Unlock()
	if f != nil {
		return f, nil
	}
	var rows []store.GroupPhraseList
	if err := pc.store.DB.WithContext(ctx).Where("clinic_id = ?", clinicID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("groups: loading phrase lists: %w", err)
	}
	custom := map[string][]string{}
	for _, r := range rows {
		var list []string
		if err := json.Unmarshal([]byte(r.Phrases), &list); err != nil {
			return nil, fmt.Errorf("groups: phrase list %s/%s: %w", r.Locale, r.Kind, err)
		}
		custom[r.Kind+"/"+r.Locale] = list
	}
	var block, crisis []string
	for _, loc := range i18n.Shipped {
		block = append(block, pick(custom, KindBlock, loc, defaultBlock)...)
		crisis = append(crisis, pick(custom, KindCrisis, loc, defaultCrisis)...)
	}
	f = &filters{block: NewPhraseSet(block), crisis: NewPhraseSet(crisis)}
	pc.mu.Lock()
	pc.byID[clinicID] = f
	pc.mu.Unlock()
	return f, nil
}

func pick(custom map[string][]string, kind, loc string, defaults map[string][]string) []string {
	if l, ok := custom[kind+"/"+loc]; ok {
		return l
	}
	return defaults[loc]
}

func (pc *phraseCache) invalidate(clinicID string) {
	pc.mu.Lock()
	delete(pc.byID, clinicID)
	pc.mu.Unlock()
}

// PhraseList returns a clinic's effective list of a kind for a locale.
func (s *Service) PhraseList(ctx context.Context, clinicID, locale, kind string) ([]string, bool, error) {
	var row store.GroupPhraseList
	err := s.store.DB.WithContext(ctx).Where("clinic_id = ? AND locale = ? AND kind = ?", clinicID, locale, kind).Limit(1).Find(&row).Error
	if err != nil {
		return nil, false, fmt.Errorf("groups: reading phrase list: %w", err)
	}
	if row.ClinicID == "" {
		if kind == KindCrisis {
			return defaultCrisis[locale], false, nil
		}
		return defaultBlock[locale], false, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(row.Phrases), &list); err != nil {
		return nil, true, fmt.Errorf("groups: decoding phrase list: %w", err)
	}
	return list, true, nil
}
