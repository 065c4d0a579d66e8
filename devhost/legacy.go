package devhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Versions before queues.db saved each queue as a JSON snapshot in
// <data dir>/queues/<name>.json, rewritten whole after changes. NewBroker
// imports such files once (a queue already in queues.db is never imported
// again), then removes them and any temporary files their writer left.
const legacyDir = "queues"

// queueSnapshot is the old file format of one queue.
type queueSnapshot struct {
	Name     string           `json:"name"`
	NextSeq  int64            `json:"nextSequenceNumber"`
	Messages []entryRecord    `json:"messages"`
	Dedupe   []dedupeSnapshot `json:"duplicateDetection,omitempty"`
	Replays  map[string]int   `json:"replays,omitempty"`
}

type dedupeSnapshot struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// importLegacy moves old snapshot files of dataDir into the queue file.
func (p *persister) importLegacy(dataDir string) error {
	dir := filepath.Join(dataDir, legacyDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	var files, stale []string
	for _, ent := range ents {
		switch name := ent.Name(); {
		case strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp"):
			stale = append(stale, filepath.Join(dir, name))
		case strings.HasSuffix(name, ".json") && !ent.IsDir():
			files = append(files, filepath.Join(dir, name))
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		var s queueSnapshot
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("data dir: %s: not a queue snapshot: %w", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); s.Name != want {
			return fmt.Errorf("data dir: %s: name %q does not match the file name", f, s.Name)
		}
		if err := ValidateQueueName(s.Name); err != nil {
			return fmt.Errorf("data dir: %s: %w", f, err)
		}
		if err := p.db.Update(func(tx *bolt.Tx) error { return writeSnapshot(tx, s) }); err != nil {
			return fmt.Errorf("data dir: import %s: %w", f, err)
		}
		p.logger.Info("imported a queue saved by an older version", "queue", s.Name, "messages", len(s.Messages), "file", f)
	}
	for _, f := range append(files, stale...) {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		p.logger.Warn("data dir: could not remove the old queues folder", "dir", dir, "error", err)
	}
	return nil
}

// writeSnapshot stores an old snapshot in the layout of persist.go, unless
// the queue already exists there.
func writeSnapshot(tx *bolt.Tx, s queueSnapshot) error {
	if tx.Bucket([]byte(bucketPrefix+s.Name)) != nil {
		return nil // imported before; only the old files were left
	}
	bk, err := tx.CreateBucket([]byte(bucketPrefix + s.Name))
	if err != nil {
		return err
	}
	next := s.NextSeq
	for _, m := range s.Messages {
		next = max(next, m.Seq+1)
	}
	for _, m := range s.Messages {
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := bk.Put(entryKey(m.Seq), data); err != nil {
			return err
		}
	}
	for _, d := range s.Dedupe { // give each its own key above the messages
		data, _ := json.Marshal(dedupeDiskRecord(d))
		if err := bk.Put(dedupeKey(next), data); err != nil {
			return err
		}
		next++
	}
	for base, n := range s.Replays {
		if err := bk.Put(replayKey(base), []byte(strconv.Itoa(n))); err != nil {
			return err
		}
	}
	return bk.Put(keySeqReserved, []byte(strconv.FormatInt(next, 10)))
}
