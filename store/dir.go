package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/b2b-onboarding/onboard/workflow"
)

// Dir is a workflow.Store kept in a directory, for `onboard dev
// --data-dir`: it survives restarts and crashes and needs nothing
// installed.
//
// Layout: one bbolt file, DIR/state.db, with a bucket "records" (record
// key → its version, ETag and JSON) and a bucket "failures" (message id →
// failure JSON). Every Save and SaveFailure is one bbolt transaction,
// fsynced before it returns, so a crash (kill -9) keeps every write that
// returned and loses nothing half-written; a save writes its own key's
// pages, at a cost that does not grow with the number of onboardings. The
// ETag check and the write happen in one transaction, so concurrent saves
// need no further locking. It is the same store, with the same reasons,
// as the dev queue's (devhost, DATA_DIR/queues.db); the two are separate
// files because the packages are independent and nothing needs a
// transaction across them (in Azure, Service Bus and Table Storage are
// not transactional together either).
//
// A Dir holds the file's lock until Close: a second process (or a second
// OpenDir) on the same directory fails after a short wait instead of
// racing on ETags. Directories written by older versions (one JSON file
// per record under records/ and failures/) are imported on OpenDir and
// their files removed, with any temporary files a crash left behind.
type Dir struct {
	root string
	db   *bolt.DB
}

const (
	stateFile      = "state.db"
	recordsBucket  = "records"
	failuresBucket = "failures"
	tmpPrefix      = ".tmp-" // temporary files of the old one-file-per-record layout
)

// dirLockTimeout is how long OpenDir waits for another holder of the file.
var dirLockTimeout = 2 * time.Second

// dirEntry is how a record is stored in Dir.
type dirEntry struct {
	Version uint64          `json:"version"`
	ETag    string          `json:"etag"`
	Record  json.RawMessage `json:"record"`
}

// OpenDir opens (creating it if needed) the store in directory dir.
func OpenDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("store: data directory: must not be empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: open data directory: %w", err)
	}
	path := filepath.Join(dir, stateFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: dirLockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is in use by another process (another onboard dev on the same --data-dir?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	d := &Dir{root: dir, db: db}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{recordsBucket, failuresBucket} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = d.importFiles()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return d, nil
}

var _ workflow.Store = (*Dir)(nil)

// Path returns the directory the store lives in.
func (d *Dir) Path() string { return d.root }

// Close releases the file.
func (d *Dir) Close() error { return d.db.Close() }

// Load returns the record for key, or an error wrapping workflow.ErrNotFound.
func (d *Dir) Load(ctx context.Context, key string) (workflow.Record, error) {
	const op = "store load"
	if err := ctx.Err(); err != nil {
		return workflow.Record{}, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if checkKey(op, "record key", key) != nil {
		// No such key can be stored.
		return workflow.Record{}, fmt.Errorf("%s %q: %w", op, key, workflow.ErrNotFound)
	}
	var e dirEntry
	var found bool
	err := d.db.View(func(tx *bolt.Tx) (err error) {
		e, found, err = d.entry(tx, key)
		return err
	})
	if err != nil {
		return workflow.Record{}, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if !found {
		return workflow.Record{}, fmt.Errorf("%s %q: %w", op, key, workflow.ErrNotFound)
	}
	return decodeRecord(op, key, e.Record, e.ETag)
}

// entry reads the stored entry of key in tx.
func (d *Dir) entry(tx *bolt.Tx, key string) (dirEntry, bool, error) {
	v := tx.Bucket([]byte(recordsBucket)).Get([]byte(key))
	if v == nil {
		return dirEntry{}, false, nil
	}
	var e dirEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return dirEntry{}, false, fmt.Errorf("corrupt record %q in %s: %w", key, filepath.Join(d.root, stateFile), err)
	}
	return e, true, nil
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
	var etag string
	err = d.db.Update(func(tx *bolt.Tx) error {
		cur, exists, err := d.entry(tx, rec.Key)
		if err != nil {
			return fmt.Errorf("%s %q: %w", op, rec.Key, err)
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
		etag = next.ETag
		return tx.Bucket([]byte(recordsBucket)).Put([]byte(rec.Key), b)
	})
	if err != nil {
		return err
	}
	rec.ETag = etag
	return nil
}

// List returns all records in key order (one consistent snapshot).
func (d *Dir) List(ctx context.Context) ([]workflow.Record, error) {
	const op = "store list"
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []workflow.Record
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(recordsBucket)).ForEach(func(k, _ []byte) error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			e, _, err := d.entry(tx, string(k))
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			rec, err := decodeRecord(op, string(k), e.Record, e.ETag)
			if err != nil {
				return err
			}
			out = append(out, rec)
			return nil
		})
	})
	return out, err
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
	err = d.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(failuresBucket)).Put([]byte(f.MessageID), data)
	})
	if err != nil {
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
	var data []byte
	_ = d.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(failuresBucket)).Get([]byte(messageID)); v != nil {
			data = append([]byte(nil), v...)
		}
		return nil
	})
	if data == nil {
		return workflow.Failure{}, fmt.Errorf("%s %q: %w", op, messageID, workflow.ErrNotFound)
	}
	return decodeFailure(op, messageID, data)
}

// importFiles moves the records and failures of the old layout (a JSON file
// each under records/ and failures/) into the file, unless a key is there
// already, then removes the old files and folders.
func (d *Dir) importFiles() error {
	for _, sub := range []string{recordsBucket, failuresBucket} {
		dir := filepath.Join(d.root, sub)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, ent := range ents {
			path := filepath.Join(dir, ent.Name())
			if !ent.IsDir() && !strings.HasPrefix(ent.Name(), tmpPrefix) && strings.HasSuffix(ent.Name(), ".json") {
				if err := d.importFile(sub, path); err != nil {
					return err
				}
			}
			if err := os.Remove(path); err != nil {
				return err
			}
		}
		if err := os.Remove(dir); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dir) importFile(bucket, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var key string
	var keyed struct {
		Key       string `json:"key"`
		MessageID string `json:"messageId"`
	}
	if bucket == recordsBucket {
		var e dirEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("corrupt file %s: %w", path, err)
		}
		err = json.Unmarshal(e.Record, &keyed)
		key = keyed.Key
	} else {
		err = json.Unmarshal(data, &keyed)
		key = keyed.MessageID
	}
	if err != nil || key == "" {
		return fmt.Errorf("corrupt file %s: no key: %v", path, err)
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b.Get([]byte(key)) != nil {
			return nil
		}
		return b.Put([]byte(key), data)
	})
}
