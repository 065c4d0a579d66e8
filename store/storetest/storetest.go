// Package storetest is the contract every workflow.Store must meet, as one
// test suite run against each implementation (memory, directory, Table
// Storage on Azurite), so that what passes in dev behaves the same in
// production.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/store"
	"github.com/b2b-onboarding/onboard/workflow"
)

// Options tunes the suite for slower back ends.
type Options struct {
	// Savers is the number of concurrent load-modify-save goroutines in the
	// lost-update test (default 16).
	Savers int
}

// Run runs the contract against stores made by newStore, which must return
// an empty store for each call (e.g. a fresh table or directory) and
// arrange its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) workflow.Store) {
	RunWith(t, newStore, Options{})
}

// RunWith is Run with options.
func RunWith(t *testing.T, newStore func(t *testing.T) workflow.Store, opts Options) {
	if opts.Savers <= 0 {
		opts.Savers = 16
	}
	cases := []struct {
		name string
		test func(t *testing.T, s workflow.Store)
	}{
		{"NotFound", testNotFound},
		{"RoundTrip", testRoundTrip},
		{"CreateConflict", testCreateConflict},
		{"ConditionalUpdate", testConditionalUpdate},
		{"UpdateOfMissingRecordConflicts", testUpdateMissing},
		{"NoAliasing", testNoAliasing},
		{"ConcurrentSavers", func(t *testing.T, s workflow.Store) { testConcurrentSavers(t, s, opts.Savers) }},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ListOrder", testListOrder},
		{"ListEmpty", testListEmpty},
		{"FailureLog", testFailureLog},
		{"OddKeys", testOddKeys},
		{"LargeRecord", testLargeRecord},
		{"TooLarge", testTooLarge},
		{"InvalidKeys", testInvalidKeys},
		{"CanceledContext", testCanceledContext},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, newStore(t))
		})
	}
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// FullRecord returns a record with every field set (times with
// nanoseconds and a non-UTC zone, maps, nested structs, a failure), for
// round-trip tests.
func FullRecord(key string) workflow.Record {
	zone := time.FixedZone("CEST", 2*3600)
	t0 := time.Date(2026, 3, 14, 15, 9, 26, 535897932, zone)
	return workflow.Record{
		Key: key,
		Spec: workflow.Spec{
			Email:         key,
			OriginalEmail: "Ada+procurement@Fabrikam.com",
			DisplayName:   "Ada Lovelace",
			UserType:      "Guest",
			RedirectURL:   "https://myapps.microsoft.com",
			SendMessage:   true,
			Message:       "Welcome — “quotes” & <tags>",
			CC:            "buyer@contoso.com",
			Language:      "nl-NL",
			Properties: workflow.UserProperties{
				DisplayName: "Ada Lovelace", GivenName: "Ada", Surname: "Lovelace", JobTitle: "Engineer", Department: "R&D",
				CompanyName: "Fabrikam", EmployeeID: "E-42", MobilePhone: "+31 6 1234 5678",
				BusinessPhone: "+31 20 123 4567", StreetAddress: "Dam 1", City: "Amsterdam",
				State: "NH", PostalCode: "1012 JS", Country: "Netherlands", AgeGroup: "Adult",
				ConsentProvidedForMinor: "NotRequired", UsageLocation: "NL",
			},
			ManagerID: "11111111-1111-1111-1111-111111111111",
			Groups:    []string{"g1", "g2"},
			Roles:     []string{"r1"},
			Apps:      []workflow.AppAssignment{{ServicePrincipalID: "sp1", AppRoleID: workflow.DefaultAppRoleID}},
		},
		RequestIDs: []string{"PR-2026-0042", "PR-2026-0043"},
		Phase:      workflow.PhaseProvisioned,
		GuestID:    "22222222-2222-2222-2222-222222222222",
		Invite: workflow.InviteState{
			IntentAt: t0, SentAt: t0.Add(time.Second), Status: "PendingAcceptance",
			EmailsSent: 2, ResendIntent: 1,
		},
		Done: map[string]time.Time{
			"group:g1": t0.Add(2 * time.Second),
			"role:r1":  t0.Add(3 * time.Second).UTC(),
		},
		Reminders: workflow.ReminderState{Sent: 1, Next: 2, NextDue: t0.Add(7 * 24 * time.Hour)},
		LastError: "graph: 429 throttled",
		Failure: &workflow.Failure{
			MessageID: "m1", Key: key, EventType: "partner-approved", Reason: "policy: roles[0]: privileged", At: t0,
		},
		History: []workflow.HistoryEntry{
			{At: t0, Step: "invited", Detail: "guest 2222"},
			{At: t0.Add(time.Minute), Step: "provisioned"},
		},
		CreatedAt: t0,
		UpdatedAt: t0.Add(time.Hour),
	}
}

// viaJSON is what any store can promise to return: the record after a
// JSON round trip (monotonic clock readings and zone names do not survive
// JSON; instants and offsets do), without the ETag.
func viaJSON(t *testing.T, rec workflow.Record) workflow.Record {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var out workflow.Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// requireSame fails unless got equals want (compared as JSON-round-tripped
// values) and, when etag is non-empty, got carries that ETag.
func requireSame(t *testing.T, got, want workflow.Record, etag string) {
	t.Helper()
	if etag != "" && got.ETag != etag {
		t.Errorf("ETag = %q, want %q", got.ETag, etag)
	}
	g, w := got, viaJSON(t, want)
	g.ETag = ""
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", " ")
		wb, _ := json.MarshalIndent(w, "", " ")
		t.Fatalf("record differs after round trip:\n got: %.2000s\nwant: %.2000s", gb, wb)
	}
}

func mustSave(t *testing.T, s workflow.Store, rec *workflow.Record) {
	t.Helper()
	if err := s.Save(ctxOf(t), rec); err != nil {
		t.Fatalf("Save(%q): %v", rec.Key, err)
	}
	if rec.ETag == "" {
		t.Fatalf("Save(%q) succeeded but left ETag empty", rec.Key)
	}
}

func mustLoad(t *testing.T, s workflow.Store, key string) workflow.Record {
	t.Helper()
	rec, err := s.Load(ctxOf(t), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return rec
}

func testNotFound(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	if _, err := s.Load(ctx, "nobody@example.com"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("Load of a missing key: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Failure(ctx, "no-such-message"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("Failure of a missing id: err = %v, want ErrNotFound", err)
	}
	// A failure under a key does not make a record appear, nor vice versa.
	if err := s.SaveFailure(ctx, workflow.Failure{MessageID: "same@example.com", Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "same@example.com"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("Load after SaveFailure with the same string: err = %v, want ErrNotFound", err)
	}
	rec := workflow.Record{Key: "other@example.com"}
	mustSave(t, s, &rec)
	if _, err := s.Failure(ctx, "other@example.com"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("Failure after Save with the same string: err = %v, want ErrNotFound", err)
	}
}

func testRoundTrip(t *testing.T, s workflow.Store) {
	cases := []struct {
		name string
		rec  workflow.Record
	}{
		{"full", FullRecord("ada.lovelace@fabrikam.com")},
		{"minimal", workflow.Record{Key: "min@example.com", Phase: workflow.PhaseNew}},
		{"empty collections", workflow.Record{Key: "empty@example.com", Done: map[string]time.Time{}, RequestIDs: []string{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := c.rec
			mustSave(t, s, &rec)
			got := mustLoad(t, s, rec.Key)
			requireSame(t, got, c.rec, rec.ETag)
			if c.name == "full" {
				// Spot checks that say what broke, beyond the deep compare.
				if !got.CreatedAt.Equal(c.rec.CreatedAt) || got.CreatedAt.Nanosecond() != 535897932 {
					t.Errorf("CreatedAt = %v, want %v with nanoseconds", got.CreatedAt, c.rec.CreatedAt)
				}
				if _, off := got.CreatedAt.Zone(); off != 2*3600 {
					t.Errorf("CreatedAt offset = %d, want +2h kept", off)
				}
				if !got.Done["role:r1"].Equal(c.rec.Done["role:r1"]) || got.Failure == nil || got.Failure.Reason != c.rec.Failure.Reason {
					t.Errorf("maps or nested pointers lost: Done=%v Failure=%+v", got.Done, got.Failure)
				}
			}
		})
	}
}

func testCreateConflict(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	first := workflow.Record{Key: "dup@example.com", LastError: "first"}
	mustSave(t, s, &first)
	second := workflow.Record{Key: "dup@example.com", LastError: "second"}
	err := s.Save(ctx, &second)
	if !errors.Is(err, workflow.ErrConflict) {
		t.Fatalf("second create: err = %v, want ErrConflict", err)
	}
	if second.ETag != "" {
		t.Errorf("failed Save changed ETag to %q", second.ETag)
	}
	got := mustLoad(t, s, "dup@example.com")
	if got.LastError != "first" || got.ETag != first.ETag {
		t.Errorf("after conflicting create: LastError=%q ETag=%q, want first record with ETag %q", got.LastError, got.ETag, first.ETag)
	}
}

func testConditionalUpdate(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	rec := workflow.Record{Key: "upd@example.com", Phase: workflow.PhaseNew}
	mustSave(t, s, &rec)
	v1 := rec.ETag

	loaded := mustLoad(t, s, rec.Key)
	loaded.Phase = workflow.PhaseInvited
	mustSave(t, s, &loaded)
	v2 := loaded.ETag
	if v2 == v1 {
		t.Fatalf("ETag unchanged by an update: %q", v2)
	}
	if got := mustLoad(t, s, rec.Key); got.Phase != workflow.PhaseInvited || got.ETag != v2 {
		t.Fatalf("after update: Phase=%q ETag=%q, want Invited and %q", got.Phase, got.ETag, v2)
	}

	stale := rec // still carries v1
	stale.Phase = workflow.PhaseFailed
	if err := s.Save(ctx, &stale); !errors.Is(err, workflow.ErrConflict) {
		t.Fatalf("save with stale ETag: err = %v, want ErrConflict", err)
	}
	if stale.ETag != v1 {
		t.Errorf("failed Save changed ETag from %q to %q", v1, stale.ETag)
	}
	bogus := loaded
	bogus.ETag = `W/"datetime'2001-01-01T00%3A00%3A00.0000000Z'"`
	if err := s.Save(ctx, &bogus); !errors.Is(err, workflow.ErrConflict) {
		t.Fatalf("save with a made-up ETag: err = %v, want ErrConflict", err)
	}
	if got := mustLoad(t, s, rec.Key); got.Phase != workflow.PhaseInvited {
		t.Errorf("a conflicting save changed the record: Phase=%q", got.Phase)
	}

	// The fresh ETag keeps working for the next update.
	loaded.Phase = workflow.PhaseProvisioned
	mustSave(t, s, &loaded)
	if got := mustLoad(t, s, rec.Key); got.Phase != workflow.PhaseProvisioned || got.ETag != loaded.ETag {
		t.Errorf("second update: Phase=%q ETag=%q, want Provisioned and %q", got.Phase, got.ETag, loaded.ETag)
	}
}

func testUpdateMissing(t *testing.T, s workflow.Store) {
	other := workflow.Record{Key: "exists@example.com"}
	mustSave(t, s, &other)
	ghost := workflow.Record{Key: "ghost@example.com", ETag: other.ETag}
	if err := s.Save(ctxOf(t), &ghost); !errors.Is(err, workflow.ErrConflict) {
		t.Fatalf("update of a record that does not exist: err = %v, want ErrConflict", err)
	}
	if _, err := s.Load(ctxOf(t), ghost.Key); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("conditional save created the record: Load err = %v", err)
	}
}

func testNoAliasing(t *testing.T, s workflow.Store) {
	rec := FullRecord("alias@example.com")
	mustSave(t, s, &rec)
	rec.Spec.Groups[0] = "mutated"
	rec.Done["group:g1"] = time.Time{}
	loaded := mustLoad(t, s, rec.Key)
	if loaded.Spec.Groups[0] != "g1" || loaded.Done["group:g1"].IsZero() {
		t.Fatalf("store shares memory with the saved record: groups=%v", loaded.Spec.Groups)
	}
	loaded.History[0].Step = "mutated"
	if again := mustLoad(t, s, rec.Key); again.History[0].Step != "invited" {
		t.Fatalf("store shares memory with a loaded record: step=%q", again.History[0].Step)
	}
}

// testConcurrentSavers is the lost-update test: each saver increments a
// counter with load-modify-save, retrying on ErrConflict; with optimistic
// concurrency working, no increment is lost.
func testConcurrentSavers(t *testing.T, s workflow.Store, n int) {
	ctx := ctxOf(t)
	const key = "counter@example.com"
	rec := workflow.Record{Key: key}
	mustSave(t, s, &rec)

	var wg sync.WaitGroup
	errs := make(chan error, n)
	conflicts := make(chan int, n)
	for i := range n {
		wg.Go(func() {
			retries := 0
			for {
				cur, err := s.Load(ctx, key)
				if err != nil {
					errs <- err
					return
				}
				cur.Reminders.Sent++
				cur.History = append(cur.History, workflow.HistoryEntry{Step: fmt.Sprintf("saver-%d", i)})
				err = s.Save(ctx, &cur)
				if err == nil {
					conflicts <- retries
					return
				}
				if !errors.Is(err, workflow.ErrConflict) {
					errs <- err
					return
				}
				retries++
			}
		})
	}
	wg.Wait()
	close(errs)
	close(conflicts)
	for err := range errs {
		t.Errorf("saver: %v", err)
	}
	total := 0
	for c := range conflicts {
		total += c
	}
	got := mustLoad(t, s, key)
	if got.Reminders.Sent != n || len(got.History) != n {
		t.Fatalf("after %d concurrent increments: counter=%d history=%d (lost updates)", n, got.Reminders.Sent, len(got.History))
	}
	t.Logf("%d savers, %d conflicts retried", n, total)
}

// testConcurrentCreate: of several simultaneous creates of one key,
// exactly one wins.
func testConcurrentCreate(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			rec := workflow.Record{Key: "race@example.com", LastError: fmt.Sprint(i)}
			results <- s.Save(ctx, &rec)
		})
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, workflow.ErrConflict):
			t.Errorf("create: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent creates succeeded, want exactly 1", wins, n)
	}
}

func testListOrder(t *testing.T, s workflow.Store) {
	keys := []string{"zed@x.com", "a+b@x.com", "Ünï@x.com", "a@x.com", "m'o@x.com", "b@x.com", "a~1@x.com", "A@x.com"}
	for _, k := range keys {
		rec := workflow.Record{Key: k, GuestID: "g-" + k}
		mustSave(t, s, &rec)
	}
	if err := s.SaveFailure(ctxOf(t), workflow.Failure{MessageID: "not-a-record", Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctxOf(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := append([]string(nil), keys...)
	slices.Sort(want)
	var got []string
	for _, r := range list {
		got = append(got, r.Key)
		if r.GuestID != "g-"+r.Key {
			t.Errorf("List: record %q has GuestID %q", r.Key, r.GuestID)
		}
		if l := mustLoad(t, s, r.Key); l.ETag != r.ETag {
			t.Errorf("List ETag of %q = %q, Load says %q", r.Key, r.ETag, l.ETag)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("List keys = %q, want %q (byte order, failures excluded)", got, want)
	}
	// An ETag from List is good for a conditional save.
	r := list[0]
	r.Phase = workflow.PhaseCompleted
	mustSave(t, s, &r)
}

func testListEmpty(t *testing.T, s workflow.Store) {
	list, err := s.List(ctxOf(t))
	if err != nil || len(list) != 0 {
		t.Fatalf("List of an empty store = %v, %v; want none", list, err)
	}
}

func testFailureLog(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	f := workflow.Failure{MessageID: "msg-1", Key: "ada@x.com", EventType: "partner-approved", Reason: "validation: email: invalid", At: at}
	if err := s.SaveFailure(ctx, f); err != nil {
		t.Fatalf("SaveFailure: %v", err)
	}
	got, err := s.Failure(ctx, "msg-1")
	if err != nil {
		t.Fatalf("Failure: %v", err)
	}
	if got.MessageID != f.MessageID || got.Key != f.Key || got.EventType != f.EventType || got.Reason != f.Reason || !got.At.Equal(at) {
		t.Fatalf("Failure round trip = %+v, want %+v", got, f)
	}
	f.Reason = "policy: replaced"
	f.Key = ""
	if err := s.SaveFailure(ctx, f); err != nil {
		t.Fatalf("SaveFailure (replace): %v", err)
	}
	got, err = s.Failure(ctx, "msg-1")
	if err != nil || got.Reason != "policy: replaced" || got.Key != "" {
		t.Fatalf("after replace: %+v, %v; want the second failure, whole", got, err)
	}
	if _, err := s.Failure(ctx, "msg-2"); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("Failure of another id: err = %v, want ErrNotFound", err)
	}
}

// OddKeys are record keys that are legal for the workflow but hostile to
// URLs, Table Storage keys and file names.
var OddKeys = []string{
	"a+b@x.com", "o'brien@x.com", "o''brien@x.com", "ünïcødé@exämple.com", "日本@例え.jp", "emoji😀@x.com",
	"A@X.COM", "a@x.com", "per%20cent@x.com", "tilde~7E@x.com", "space here@x.com", "semi;colon=eq@x.com",
	"dots..@x.com", ".", "..", "con", `quote"d@x.com`, "x",
}

// OddMessageIDs are message ids with the characters Table Storage forbids
// in keys and others that URLs or file systems treat specially.
var OddMessageIDs = []string{
	"a+b@x.com/reminder/1", "a#b", "a?b=c&d", `back\slash`, "/leading", "trailing/", "50%off",
	"ctl\x01\x1f\x7f", "tab\tnew\nline", "ünï/😀", "..", "MixedCase-ID", "mixedcase-id",
	strings.Repeat("long/", 40),
}

func testOddKeys(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	for i, k := range OddKeys {
		rec := workflow.Record{Key: k, Reminders: workflow.ReminderState{Sent: i}}
		mustSave(t, s, &rec)
	}
	for i, k := range OddKeys {
		got := mustLoad(t, s, k)
		if got.Key != k || got.Reminders.Sent != i {
			t.Errorf("Load(%q) = key %q counter %d, want its own record (%d)", k, got.Key, got.Reminders.Sent, i)
		}
		got.Phase = workflow.PhaseInvited
		mustSave(t, s, &got)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != len(OddKeys) {
		t.Errorf("List has %d records, want %d", len(list), len(OddKeys))
	}
	for i, id := range OddMessageIDs {
		if err := s.SaveFailure(ctx, workflow.Failure{MessageID: id, Reason: fmt.Sprint("reason ", i)}); err != nil {
			t.Fatalf("SaveFailure(%q): %v", id, err)
		}
	}
	for i, id := range OddMessageIDs {
		got, err := s.Failure(ctx, id)
		if err != nil {
			t.Errorf("Failure(%q): %v", id, err)
			continue
		}
		if got.MessageID != id || got.Reason != fmt.Sprint("reason ", i) {
			t.Errorf("Failure(%q) = %+v, want its own entry (%d)", id, got, i)
		}
	}
}

// BigHistory returns a record whose JSON is at least size bytes, mostly
// ASCII with some multi-byte and astral (surrogate-pair) characters in
// every entry, so that splitting and escaping meet them everywhere.
func BigHistory(key string, size int) workflow.Record {
	rec := FullRecord(key)
	detail := "ü😀" + strings.Repeat("x", 300) + "日本"
	base, _ := json.Marshal(rec)
	for n := len(base); n < size; {
		e := workflow.HistoryEntry{At: rec.CreatedAt, Step: fmt.Sprint("step-", len(rec.History)), Detail: detail}
		b, _ := json.Marshal(e)
		n += len(b) + 1
		rec.History = append(rec.History, e)
	}
	return rec
}

// DenseUnicode returns a record of at least size bytes of JSON made almost
// only of multi-byte characters (2, 3 and 4 bytes of UTF-8), so that any
// cut or chunk boundary in the byte stream falls inside a character.
func DenseUnicode(key string, size int) workflow.Record {
	rec := FullRecord(key)
	detail := strings.Repeat("日本語ü😀", 20) // 300 bytes
	for n := 0; n < size; n += len(detail) + 60 {
		rec.History = append(rec.History, workflow.HistoryEntry{At: rec.CreatedAt, Step: "ü", Detail: detail})
	}
	return rec
}

func testLargeRecord(t *testing.T, s workflow.Store) {
	t.Run("dense unicode", func(t *testing.T) {
		rec := DenseUnicode("dense@x.com", 150<<10)
		want := rec
		mustSave(t, s, &rec)
		requireSame(t, mustLoad(t, s, rec.Key), want, rec.ETag)
	})
	cases := []struct {
		key  string
		size int
	}{
		{"big70@x.com", 70 << 10},     // just over one 64 KiB property
		{"big400@x.com", 400 << 10},   // a dozen properties
		{"ünï😀-big@x.com", 100 << 10}, // non-ASCII key with a multi-part value
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.size>>10, "KiB"), func(t *testing.T) {
			size := c.size
			rec := BigHistory(c.key, size)
			b, _ := json.Marshal(rec)
			if len(b) < size {
				t.Fatalf("test record is only %d bytes of JSON", len(b))
			}
			want := rec
			mustSave(t, s, &rec)
			got := mustLoad(t, s, rec.Key)
			requireSame(t, got, want, rec.ETag)
			// Shrinking it must not leave pieces of the old JSON behind.
			got.History = got.History[:1]
			mustSave(t, s, &got)
			small := mustLoad(t, s, rec.Key)
			if len(small.History) != 1 {
				t.Fatalf("after shrinking: %d history entries, want 1", len(small.History))
			}
		})
	}
}

func testTooLarge(t *testing.T, s workflow.Store) {
	rec := BigHistory("huge@x.com", 2*store.MaxJSONBytes)
	err := s.Save(ctxOf(t), &rec)
	if !errors.Is(err, store.ErrTooLarge) || !workflow.IsPermanent(err) {
		t.Fatalf("Save of a %d-unit record: err = %v, want ErrTooLarge and permanent", 2*store.MaxJSONBytes, err)
	}
	if !strings.Contains(err.Error(), "huge@x.com") {
		t.Errorf("error %q does not name the record", err)
	}
	if _, err := s.Load(ctxOf(t), rec.Key); !errors.Is(err, workflow.ErrNotFound) {
		t.Errorf("a refused record was stored: Load err = %v", err)
	}
}

func testInvalidKeys(t *testing.T, s workflow.Store) {
	ctx := ctxOf(t)
	cases := []struct {
		name, key, rule string
	}{
		{"empty", "", "must not be empty"},
		{"bad UTF-8", "a\xffb@x.com", "valid UTF-8"},
		{"too long", strings.Repeat("/", store.MaxEscapedKeyBytes/3+1), "at most 512"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := workflow.Record{Key: c.key}
			err := s.Save(ctx, &rec)
			if !errors.Is(err, store.ErrInvalidKey) || !workflow.IsPermanent(err) || !strings.Contains(err.Error(), c.rule) {
				t.Errorf("Save with key %q: err = %v, want ErrInvalidKey, permanent, saying %q", c.key, err, c.rule)
			}
			err = s.SaveFailure(ctx, workflow.Failure{MessageID: c.key})
			if !errors.Is(err, store.ErrInvalidKey) || !strings.Contains(err.Error(), "message id") {
				t.Errorf("SaveFailure with id %q: err = %v, want ErrInvalidKey naming the message id", c.key, err)
			}
		})
	}
	// The longest key that fits works.
	long := strings.Repeat("/", store.MaxEscapedKeyBytes/3)
	rec := workflow.Record{Key: long}
	mustSave(t, s, &rec)
	if got := mustLoad(t, s, long); got.Key != long {
		t.Errorf("longest key came back as %q", got.Key)
	}
}

func testCanceledContext(t *testing.T, s workflow.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := workflow.Record{Key: "cancel@x.com"}
	if err := s.Save(ctx, &rec); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a canceled context: err = %v, want context.Canceled", err)
	}
	if _, err := s.Load(ctx, "cancel@x.com"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a canceled context: err = %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a canceled context: err = %v, want context.Canceled", err)
	}
}
