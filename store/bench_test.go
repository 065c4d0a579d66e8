package store_test

import (
	"fmt"
	"testing"

	"github.com/b2b-onboarding/onboard/internal/azurite"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/store/storetest"
	"github.com/b2b-onboarding/onboard/workflow"
)

// benchStore names a store and opens a fresh one.
type benchStore struct {
	name string
	open func(b *testing.B) workflow.Store
}

// benchStores makes each benchmarked store; tables needs Azurite (skipped
// without it).
var benchStores = []benchStore{
	{"memory", func(b *testing.B) workflow.Store { return store.NewMemory() }},
	{"dir", func(b *testing.B) workflow.Store {
		d, err := store.OpenDir(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		return d
	}},
	{"tables", func(b *testing.B) workflow.Store {
		s, err := store.NewTables(b.Context(), store.TablesConfig{
			ConnectionString: azurite.Shared(b).ConnectionString(),
			Table:            fmt.Sprintf("bench%d", tableSeq.Add(1)),
		})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
}

// openSaved opens the store and saves a typical (~3 KB) record in it.
func (bs benchStore) openSaved(b *testing.B) (workflow.Store, workflow.Record) {
	s := bs.open(b)
	rec := storetest.FullRecord("bench@x.com")
	if err := s.Save(b.Context(), &rec); err != nil {
		b.Fatal(err)
	}
	return s, rec
}

// BenchmarkSave measures a conditional update of a typical (~3 KB) record.
func BenchmarkSave(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s, rec := bs.openSaved(b)
			b.ReportAllocs()
			for b.Loop() {
				rec.Reminders.Sent++
				if err := s.Save(b.Context(), &rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad measures loading a typical record.
func BenchmarkLoad(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s, rec := bs.openSaved(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load(b.Context(), rec.Key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
