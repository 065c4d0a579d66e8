package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	bolt "go.etcd.io/bbolt"
)

// partitionProbe holds `onboard doctor`'s probe rows; List and Failure
// read only their own partitions, so a probe row left behind by a crash
// between write and delete is never taken for a record.
const partitionProbe = "doctor-probe"

// probeKey is a row key no other doctor run uses at the same moment.
func probeKey() string { return "probe-" + strconv.FormatInt(time.Now().UnixNano(), 36) }

// Probe writes a probe row and deletes it: the table is reachable and the
// identity may write to it (`onboard doctor`'s state table check). The
// error names the step that failed.
func (s *Tables) Probe(ctx context.Context) error {
	key := probeKey()
	body, err := entityJSON(partitionProbe, key, []byte(`{}`), nil)
	if err != nil {
		return fmt.Errorf("store probe: %w", err)
	}
	if _, err := s.client.AddEntity(ctx, body, nil); err != nil {
		return fmt.Errorf("write a probe row to table %q: %w", s.table, classify("store probe", key, err, callCreate))
	}
	if _, err := s.client.DeleteEntity(ctx, partitionProbe, key, &aztables.DeleteEntityOptions{}); err != nil {
		return fmt.Errorf("delete the probe row %s/%s from table %q: %w", partitionProbe, key, s.table, classify("store probe", key, err, callOther))
	}
	return nil
}

// Probe writes a probe key into a bucket of its own and deletes the
// bucket, in two fsynced transactions as Tables.Probe makes two calls: the
// directory's file takes writes. Nothing reads that bucket, so a crash
// between the two leaves nothing that is taken for a record or failure.
func (d *Dir) Probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store probe: %w", err)
	}
	bucket := []byte(partitionProbe)
	err := d.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(probeKey()), []byte(`{}`))
	})
	if err != nil {
		return fmt.Errorf("store probe: write a probe key in %s: %w", d.root, err)
	}
	if err := d.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucket) }); err != nil {
		return fmt.Errorf("store probe: delete the probe bucket in %s: %w", d.root, err)
	}
	return nil
}
