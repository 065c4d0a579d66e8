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

func openDir(t *testing.T, dir string) *store.Dir {
	t.Helper()
	d, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDirContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) workflow.Store { return openDir(t, t.TempDir()) })
}

// TestDirReopen: what one Dir wrote, a Dir opened later on the same
// directory (a restarted `onboard dev`) reads, with the same ETags still
// guarding updates.
func TestDirReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	first := openDir(t, dir)
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

	if err := first.Close(); err != nil { // the first onboard dev stops
		t.Fatal(err)
	}
	second := openDir(t, dir)
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

// TestDirOldLayoutImported: a data directory of an older version (one JSON
// file per record and failure, maybe a temporary file a crash left) is
// imported into state.db on open, with its ETags, and the files removed.
func TestDirOldLayoutImported(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("records/ada@fabrikam.com.json", `{"version":3,"etag":"W/\"3.0000beef\"","record":{"key":"ada@fabrikam.com","phase":"Invited"}}`)
	write("records/.tmp-123", "{half")
	write("failures/m1.json", `{"messageId":"m/1","reason":"policy"}`)
	d := openDir(t, dir)
	rec, err := d.Load(ctx, "ada@fabrikam.com")
	if err != nil || rec.Phase != workflow.PhaseInvited || rec.ETag != `W/"3.0000beef"` {
		t.Fatalf("imported record = %+v, %v", rec, err)
	}
	if f, err := d.Failure(ctx, "m/1"); err != nil || f.Reason != "policy" {
		t.Fatalf("imported failure = %+v, %v", f, err)
	}
	rec.Phase = workflow.PhaseCompleted
	if err := d.Save(ctx, &rec); err != nil {
		t.Fatalf("saving with the imported ETag: %v", err)
	}
	for _, old := range []string{"records", "failures"} {
		if _, err := os.Stat(filepath.Join(dir, old)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/ left behind: %v", old, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err != nil {
		t.Fatal(err)
	}
}

// TestDirUsedByOneProcessAtATime: the file lock keeps a second onboard dev
// off a data directory in use, instead of letting ETag checks race.
func TestDirUsedByOneProcessAtATime(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir)
	_, err := store.OpenDir(dir)
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second OpenDir: err = %v", err)
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
