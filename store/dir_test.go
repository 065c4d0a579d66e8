package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/store/storetest"
	"github.com/b2b-onboarding/onboard/workflow"
)

func TestDirContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) workflow.Store {
		d, err := store.OpenDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestDirReopen: what one Dir wrote, a Dir opened later on the same
// directory (a restarted `onboard dev`) reads, with the same ETags still
// guarding updates.
func TestDirReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	first, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := storetest.FullRecord("ada@fabrikam.com")
	if err := first.Save(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	stale := rec
	rec.Phase = workflow.PhaseCompleted
	if err := first.Save(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	if err := first.SaveFailure(ctx, workflow.Failure{MessageID: "ada@fabrikam.com/reminder/1", Reason: "x"}); err != nil {
		t.Fatal(err)
	}

	second, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := second.Load(ctx, rec.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != rec.ETag || got.Phase != workflow.PhaseCompleted || got.Spec.Properties.City != "Amsterdam" {
		t.Fatalf("after reopen: ETag=%q Phase=%q City=%q, want %q Completed Amsterdam", got.ETag, got.Phase, got.Spec.Properties.City, rec.ETag)
	}
	if err := second.Save(ctx, &stale); !errors.Is(err, workflow.ErrConflict) {
		t.Fatalf("stale ETag from before the restart: err = %v, want ErrConflict", err)
	}
	if err := second.Save(ctx, &got); err != nil {
		t.Fatalf("current ETag from before the restart: %v", err)
	}
	if f, err := second.Failure(ctx, "ada@fabrikam.com/reminder/1"); err != nil || f.Reason != "x" {
		t.Fatalf("failure after reopen = %+v, %v", f, err)
	}
	if list, err := second.List(ctx); err != nil || len(list) != 1 {
		t.Fatalf("List after reopen = %d records, %v; want 1", len(list), err)
	}
}

// TestDirFiles checks the on-disk layout the doc promises: readable names,
// no temporary files left, stale ones removed on open, corrupt files named
// in errors.
func TestDirFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	d, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ada@fabrikam.com", "a+b@x.com", strings.Repeat("x", 300) + "@x.com"} {
		rec := workflow.Record{Key: k}
		if err := d.Save(ctx, &rec); err != nil {
			t.Fatal(err)
		}
		rec.Phase = workflow.PhaseInvited
		if err := d.Save(ctx, &rec); err != nil {
			t.Fatal(err)
		}
	}
	names := func() []string {
		ents, err := os.ReadDir(filepath.Join(dir, "records"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	got := names()
	if len(got) != 3 || got[0] != "ada@fabrikam.com.json" || got[1] != "a~2Bb@x.com.json" || !strings.HasPrefix(got[2], "~~") {
		t.Fatalf("record files = %q, want escaped names, a hash for the long key, no temporary files", got)
	}

	if err := os.WriteFile(filepath.Join(dir, "records", ".tmp-123"), []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenDir(dir); err != nil {
		t.Fatal(err)
	}
	if n := len(names()); n != 3 {
		t.Fatalf("stale temporary file not removed on open: %q", names())
	}

	corrupt := filepath.Join(dir, "records", "ada@fabrikam.com.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(ctx, "ada@fabrikam.com"); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Fatalf("Load of a corrupt file: err = %v, want it to name %s", err, corrupt)
	}
	if _, err := d.List(ctx); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Fatalf("List with a corrupt file: err = %v, want it to name %s", err, corrupt)
	}
}

func TestOpenDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file} {
		if _, err := store.OpenDir(dir); err == nil {
			t.Errorf("OpenDir(%q) succeeded, want an error", dir)
		}
	}
}
