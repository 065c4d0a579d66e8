// Package store implements workflow.Store three ways, with one behaviour:
//
//   - Memory (NewMemory): in-process maps, for tests and `serve` with
//     STATE_STORE=memory.
//   - Dir (OpenDir): a bbolt file in a directory, every write fsynced
//     before it returns, for `onboard dev --data-dir`.
//   - Tables (NewTables): Azure Table Storage through aztables, for
//     production and for tests against Azurite.
//
// All three give the same optimistic-concurrency contract as Table Storage:
// ETags are opaque strings; Save with an empty ETag creates the record and
// fails with workflow.ErrConflict when it already exists; Save with an
// ETag replaces the record only while the stored ETag is that one
// (workflow.ErrConflict otherwise, also when the record has vanished).
// Load and Failure wrap workflow.ErrNotFound. List returns records ordered
// by key (byte order of the Go strings). The contract is checked by
// storetest.Run against each implementation.
//
// All three also share the same limits, so that a record that fits in dev
// fits in production: keys (record keys and failure message ids) must be
// non-empty valid UTF-8 whose escaped form (see EscapeKey) is at most
// MaxEscapedKeyBytes (ErrInvalidKey), and a record's JSON must be at most
// MaxJSONBytes (ErrTooLarge). Both errors are also
// *workflow.PermanentError: retrying cannot fix them.
package store
