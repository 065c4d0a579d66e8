package store_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	bolt "go.etcd.io/bbolt"

	"github.com/b2b-onboarding/onboard/internal/azurite"
	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/store/storetest"
)

// TestTablesProbe: against Azurite the probe row is written and deleted
// (the table holds no probe row afterwards and List is unchanged); on a
// table that is gone the probe fails naming the table.
func TestTablesProbe(t *testing.T) {
	s := newTables(t, store.TablesConfig{})
	rec := storetest.FullRecord("ada@fabrikam.com")
	if err := s.Save(t.Context(), &rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(t.Context()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	svc, err := aztables.NewServiceClientFromConnectionString(azurite.Shared(t).ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	client := svc.NewClient(s.Table())
	pager := client.NewListEntitiesPager(nil)
	n := 0
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Entities)
	}
	if n != 1 {
		t.Fatalf("%d entities in the table after the probe, want the one record", n)
	}
	if recs, err := s.List(t.Context()); err != nil || len(recs) != 1 {
		t.Fatalf("List after probe: %d records, %v", len(recs), err)
	}
	if _, err := svc.DeleteTable(t.Context(), s.Table(), nil); err != nil {
		t.Fatal(err)
	}
	err = s.Probe(t.Context())
	if err == nil || !strings.Contains(err.Error(), `write a probe row to table "`+s.Table()+`"`) {
		t.Fatalf("probe of a deleted table: %v", err)
	}
}

// TestDirProbe: the probe writes and deletes; a closed store fails it.
func TestDirProbe(t *testing.T) {
	dir := t.TempDir()
	d, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Probe(t.Context()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if recs, err := d.List(t.Context()); err != nil || len(recs) != 0 {
		t.Fatalf("List after probe: %v, %v", recs, err)
	}
	d.Close()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if string(name) != "records" && string(name) != "failures" {
				t.Errorf("bucket %q left behind", name)
			}
			return nil
		})
	})
	db.Close()
	if err := d.Probe(t.Context()); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("probe of a closed store: %v", err)
	}
}
