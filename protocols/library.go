package protocols

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/havenvr/haven/environments"
)

//go:embed library/*.json
var libraryFS embed.FS

// Library is a validated set of protocols keyed by id.
type Library struct {
	byID map[string]*Protocol
	ids  []string
}

// BuiltinLibrary parses and validates the embedded protocols.
func BuiltinLibrary(cat *environments.Catalog) (*Library, error) {
	sub, err := fs.Sub(libraryFS, "library")
	if err != nil {
		return nil, fmt.Errorf("protocols: opening library: %w", err)
	}
	return LoadLibrary(sub, cat)
}

// LoadLibrary parses and validates every *.json in fsys.
func LoadLibrary(fsys fs.FS, cat *environments.Catalog) (*Library, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("protocols: listing library: %w", err)
	}
	l := &Library{byID: map[string]*Protocol{}}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("protocols: reading %s: %w", n, err)
		}
		p, err := Decode(data)
		if err != nil {
			return nil, fmt.Errorf("protocols: %s: %w", n, err)
		}
		if err := p.Validate(cat); err != nil {
			return nil, fmt.Errorf("protocols: %s: %w", n, err)
		}
		if p.ID != strings.TrimSuffix(n, ".json") {
			return nil, fmt.Errorf("protocols: %s declares id %q", n, p.ID)
		}
		l.byID[p.ID] = p
		l.ids = append(l.ids, p.ID)
	}
	sort.Strings(l.ids)
	return l, nil
}

// Get returns the protocol with this id.
func (l *Library) Get(id string) (*Protocol, bool) {
	p, ok := l.byID[id]
	return p, ok
}

// List returns every protocol sorted by id.
func (l *Library) List() []*Protocol {
	out := make([]*Protocol, 0, len(l.ids))
	for _, id := range l.ids {
		out = append(out, l.byID[id])
	}
	return out
}
