package store

import (
	"fmt"
	"math/rand/v2"

	"github.com/b2b-onboarding/onboard/workflow"
)

// newETag makes the opaque ETag of a record's version n for Memory and
// Dir. The version makes successive tags of one key distinct; the random
// part keeps a tag from matching a record that was deleted by hand and
// created again (Table Storage tags are timestamps and never repeat
// either). Callers must treat tags as opaque, as with Table Storage.
func newETag(version uint64) string {
	return fmt.Sprintf(`W/"%d.%08x"`, version, rand.Uint32())
}

// checkETag applies the Table Storage rules: an empty ETag creates (and
// conflicts with an existing record), any other ETag must equal the stored
// one (and conflicts when no record is stored).
func checkETag(op string, rec *workflow.Record, exists bool, stored string) error {
	switch {
	case rec.ETag == "" && exists:
		return fmt.Errorf("%s %q: record already exists: %w", op, rec.Key, workflow.ErrConflict)
	case rec.ETag != "" && !exists:
		return fmt.Errorf("%s %q: record no longer exists: %w", op, rec.Key, workflow.ErrConflict)
	case rec.ETag != "" && rec.ETag != stored:
		return fmt.Errorf("%s %q: etag %s is stale: %w", op, rec.Key, rec.ETag, workflow.ErrConflict)
	}
	return nil
}
