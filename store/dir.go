package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Dir is a workflow.Store kept in a directory, for `onboard dev
// --data-dir`: it survives restarts and needs nothing installed.
//
// Layout: DIR/records/<name>.json holds one record with its version and
// ETag; DIR/failures/<name>.json holds one failure; <name> is the escaped
// key (see EscapeKey; a hash for very long keys). One file per entry was
// chosen over one file for everything because a save then rewrites only
// its own record (cost independent of how many onboardings exist), saves
// of different keys do not serialise on one file, and a human can read or
// delete one onboarding with ls and cat. Every write goes to a temporary
// file in the same directory, is fsynced, and is renamed over the old
// file, so a reader or a crash sees the old or the new entry, never half.
//
// Dir is safe for concurrent use within one process (a save holds a lock
// for its key while it compares ETags and renames). Two processes must not
// share a directory: ETag checks would race between them.
type Dir struct {
	root  string
	locks [64]sync.Mutex
}

const (
	recordsDir  = "records"
	failuresDir = "failures"
	tmpPrefix   = ".tmp-"
)

// dirEntry is the file format of a record in Dir.
type dirEntry struct {
	Version uint64          `json:"version"`
	ETag    string          `json:"etag"`
	Record  json.RawMessage `json:"record"`
}

// OpenDir opens (creating it if needed) the store in directory dir and
// removes temporary files a crash may have left behind.
func OpenDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("store: data directory: must not be empty")
	}
	d := &Dir{root: dir}
	for _, sub := range []string{recordsDir, failuresDir} {
		p := filepath.Join(dir, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, fmt.Errorf("store: open data directory: %w", err)
		}
		stale, err := filepath.Glob(filepath.Join(p, tmpPrefix+"*"))
		if err != nil {
			return nil, fmt.Errorf("store: open data directory: %w", err)
		}
		for _, f := range stale {
			if err := os.Remove(f); err != nil {
				return nil, fmt.Errorf("store: remove stale temporary file: %w", err)
			}
		}
	}
	return d, nil
}

var _ workflow.Store = (*Dir)(nil)

// Path returns the directory the store lives in.
func (d *Dir) Path() string { return d.root }

func (d *Dir) recordPath(key string) string {
	return filepath.Join(d.root, recordsDir, fileName(key)+".json")
}

func (d *Dir) failurePath(id string) string {
	return filepath.Join(d.root, failuresDir, fileName(id)+".json")
}

func (d *Dir) lock(key string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &d.locks[h.Sum32()%uint32(len(d.locks))]
}

// Load returns the record for key, or an error wrapping workflow.ErrNotFound.
func (d *Dir) Load(ctx context.Context, key string) (workflow.Record, error) {
	const op = "store load"
	if err := ctx.Err(); err != nil {
		return workflow.Record{}, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if checkKey(op, "record key", key) != nil {
		// No file can hold it; and a bad key must not reach the file system.
		return workflow.Record{}, fmt.Errorf("%s %q: %w", op, key, workflow.ErrNotFound)
	}
	e, err := d.readEntry(op, key)
	if err != nil {
		return workflow.Record{}, err
	}
	return decodeRecord(op, key, e.Record, e.ETag)
}

// readEntry reads the file of key; a missing file wraps ErrNotFound.
func (d *Dir) readEntry(op, key string) (dirEntry, error) {
	e, err := readEntryFile(d.recordPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return dirEntry{}, fmt.Errorf("%s %q: %w", op, key, workflow.ErrNotFound)
	}
	if err != nil {
		return dirEntry{}, fmt.Errorf("%s %q: %w", op, key, err)
	}
	return e, nil
}

// readEntryFile reads and decodes the record file at path. An error from
// reading is returned as it is (so a missing file is fs.ErrNotExist); a
// file that does not decode is called corrupt, naming path.
func readEntryFile(path string) (dirEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return dirEntry{}, err
	}
	var e dirEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return dirEntry{}, fmt.Errorf("corrupt file %s: %w", path, err)
	}
	return e, nil
}

// Save creates or conditionally replaces rec (see workflow.Store).
func (d *Dir) Save(ctx context.Context, rec *workflow.Record) error {
	const op = "store save"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %q: %w", op, rec.Key, err)
	}
	data, err := encodeRecord(op, rec)
	if err != nil {
		return err
	}
	mu := d.lock(rec.Key)
	mu.Lock()
	defer mu.Unlock()
	cur, err := d.readEntry(op, rec.Key)
	exists := err == nil
	if err != nil && !errors.Is(err, workflow.ErrNotFound) {
		return err
	}
	if err := checkETag(op, rec, exists, cur.ETag); err != nil {
		return err
	}
	next := dirEntry{Version: cur.Version + 1, Record: data}
	next.ETag = newETag(next.Version)
	b, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, rec.Key, err)
	}
	if err := writeAtomic(d.recordPath(rec.Key), b); err != nil {
		return fmt.Errorf("%s %q: %w", op, rec.Key, err)
	}
	rec.ETag = next.ETag
	return nil
}

// writeAtomic replaces path with data: temporary file in the same
// directory, fsync, rename.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// List returns all records in key order.
func (d *Dir) List(ctx context.Context) ([]workflow.Record, error) {
	const op = "store list"
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	dir := filepath.Join(d.root, recordsDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []workflow.Record
	for _, ent := range ents {
		name := ent.Name()
		if ent.IsDir() || strings.HasPrefix(name, tmpPrefix) || !strings.HasSuffix(name, ".json") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		e, err := readEntryFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by hand meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		rec, err := decodeRecord(op, name, e.Record, e.ETag)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b workflow.Record) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// SaveFailure stores (replaces) the failure recorded for f.MessageID.
func (d *Dir) SaveFailure(ctx context.Context, f workflow.Failure) error {
	const op = "store save failure"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %q: %w", op, f.MessageID, err)
	}
	data, err := encodeFailure(op, f)
	if err != nil {
		return err
	}
	if err := writeAtomic(d.failurePath(f.MessageID), data); err != nil {
		return fmt.Errorf("%s %q: %w", op, f.MessageID, err)
	}
	return nil
}

// Failure returns the failure recorded for messageID, or an error wrapping
// workflow.ErrNotFound.
func (d *Dir) Failure(ctx context.Context, messageID string) (workflow.Failure, error) {
	const op = "store failure"
	if err := ctx.Err(); err != nil {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, err)
	}
	if checkKey(op, "failure message id", messageID) != nil {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, workflow.ErrNotFound)
	}
	path := d.failurePath(messageID)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, workflow.ErrNotFound)
	}
	if err != nil {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, err)
	}
	return decodeFailure(op, messageID, b)
}
