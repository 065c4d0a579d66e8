package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/b2b-onboarding/onboard/internal/logkey"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Tables is a workflow.Store in Azure Table Storage (or Azurite). Records
// and failures share one table, in the partitions "record" and "failure";
// the RowKey is the escaped key (EscapeKey), and the value is JSON in the
// Json… properties (see the layout in tables_entity.go). ETags are the
// service's own: Save with an empty ETag is an insert (409 → ErrConflict),
// otherwise a replace with If-Match (412 → ErrConflict).
//
// Two partitions, not one per key: onboardings are few (thousands, not
// millions) and arrive slowly, far below the ~2,000 operations/s a
// partition serves, and List becomes one partition query.
type Tables struct {
	client   *aztables.Client
	table    string
	pageSize int32
}

var _ workflow.Store = (*Tables)(nil)

// NewTables connects to Table Storage as cfg says and creates the table
// if it does not exist yet.
func NewTables(ctx context.Context, cfg TablesConfig) (*Tables, error) {
	client, table, err := cfg.client()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	_, err = client.CreateTable(ctx, nil)
	var re *azcore.ResponseError
	switch {
	case err == nil:
		log.InfoContext(ctx, "store: created table", logkey.Table, table)
	case errors.As(err, &re) && re.StatusCode == http.StatusConflict && re.ErrorCode == string(aztables.TableAlreadyExists):
		log.DebugContext(ctx, "store: table exists", logkey.Table, table)
	default:
		return nil, fmt.Errorf("store: create table %q: %w", table, classify("create table", table, err, callOther))
	}
	pageSize := cfg.PageSize
	if pageSize <= 0 || pageSize > 1000 {
		pageSize = 1000
	}
	return &Tables{client: client, table: table, pageSize: pageSize}, nil
}

// Table returns the name of the table in use.
func (s *Tables) Table() string { return s.table }

// Load returns the record for key, or an error wrapping workflow.ErrNotFound.
func (s *Tables) Load(ctx context.Context, key string) (workflow.Record, error) {
	const op = "store load"
	data, etag, err := s.readEntity(ctx, op, partitionRecords, key)
	if err != nil {
		return workflow.Record{}, err
	}
	return decodeRecord(op, key, data, etag)
}

// readEntity returns the JSON stored for key in partition and the
// entity's ETag. A key no entity can have (see checkKey) is not looked up
// and wraps workflow.ErrNotFound, as a missing entity does.
func (s *Tables) readEntity(ctx context.Context, op, partition, key string) (data []byte, etag string, err error) {
	if checkKey(op, "key", key) != nil {
		return nil, "", fmt.Errorf("%s %q: %w", op, key, workflow.ErrNotFound)
	}
	resp, err := s.client.GetEntity(ctx, partition, EscapeKey(key), nil)
	if err != nil {
		return nil, "", classify(op, key, err, callRead)
	}
	data, _, err = entityData(resp.Value)
	if err != nil {
		return nil, "", fmt.Errorf("%s %q: %w", op, key, err)
	}
	return data, string(resp.ETag), nil
}

// Save creates or conditionally replaces rec (see workflow.Store).
func (s *Tables) Save(ctx context.Context, rec *workflow.Record) error {
	const op = "store save"
	data, err := encodeRecord(op, rec)
	if err != nil {
		return err
	}
	body, err := entityJSON(partitionRecords, rec.Key, data, recordColumns(rec))
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, rec.Key, err)
	}
	if rec.ETag == "" {
		resp, err := s.client.AddEntity(ctx, body, nil)
		if err != nil {
			return classify(op, rec.Key, err, callCreate)
		}
		rec.ETag = string(resp.ETag)
		return nil
	}
	etag := azcore.ETag(rec.ETag)
	resp, err := s.client.UpdateEntity(ctx, body, &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
	if err != nil {
		return classify(op, rec.Key, err, callReplace)
	}
	rec.ETag = string(resp.ETag)
	return nil
}

// List returns all records in key order, reading every page.
func (s *Tables) List(ctx context.Context) ([]workflow.Record, error) {
	const op = "store list"
	filter := "PartitionKey eq '" + partitionRecords + "'"
	pager := s.client.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Top: &s.pageSize})
	var out []workflow.Record
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(op, s.table, err, callOther)
		}
		for _, raw := range page.Entities {
			data, etag, err := entityData(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			rec, err := decodeRecord(op, "", data, etag)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(a, b workflow.Record) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// SaveFailure stores (replaces) the failure recorded for f.MessageID.
func (s *Tables) SaveFailure(ctx context.Context, f workflow.Failure) error {
	const op = "store save failure"
	data, err := encodeFailure(op, f)
	if err != nil {
		return err
	}
	body, err := entityJSON(partitionFailures, f.MessageID, data, failureColumns(f))
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, f.MessageID, err)
	}
	if _, err := s.client.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		return classify(op, f.MessageID, err, callOther)
	}
	return nil
}

// Failure returns the failure recorded for messageID, or an error wrapping
// workflow.ErrNotFound.
func (s *Tables) Failure(ctx context.Context, messageID string) (workflow.Failure, error) {
	const op = "store failure"
	data, _, err := s.readEntity(ctx, op, partitionFailures, messageID)
	if err != nil {
		return workflow.Failure{}, err
	}
	return decodeFailure(op, messageID, data)
}
