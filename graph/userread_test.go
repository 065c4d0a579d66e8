package graph_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/b2b-onboarding/onboard/graph"
	"github.com/b2b-onboarding/onboard/workflow"
)

// TestLeanDecoding: the invitation's answer and user reads are decoded
// from the body without the SDK's models. Extra properties are ignored, an
// answer without a usable body is a TransientError whose outcome is unknown
// (not Refused: for an invitation the mail may be sent), and a Graph error
// is classified as it was through the SDK's generated methods.
func TestLeanDecoding(t *testing.T) {
	cases := []struct {
		name, body string
		code       int
		serve      http.HandlerFunc // instead of code and body
		call       func(d *graph.Directory) (any, error)
		want       any
		check      func(error) bool
	}{
		{name: "invitation", code: 201,
			body: `{"@odata.context":"x","id":"inv-1","inviteRedeemUrl":"https://r","status":"PendingAcceptance","invitedUser":{"id":"guest-1","displayName":"Ada"},"invitedUserMessageInfo":{"ccRecipients":[]}}`,
			call: func(d *graph.Directory) (any, error) { return d.Invite(ctx, adaInvitation("ada@fabrikam.com")) },
			want: workflow.InviteResult{GuestID: "guest-1", Status: "PendingAcceptance"}},
		{name: "invitation without a body", code: 201,
			call:  func(d *graph.Directory) (any, error) { return d.Invite(ctx, adaInvitation("ada@fabrikam.com")) },
			check: func(err error) bool { return errors.As(err, new(*workflow.TransientError)) && !workflow.Refused(err) }},
		{name: "invitation answer not JSON", code: 201, body: `<html>`,
			call:  func(d *graph.Directory) (any, error) { return d.Invite(ctx, adaInvitation("ada@fabrikam.com")) },
			check: func(err error) bool { return errors.As(err, new(*workflow.TransientError)) && !workflow.Refused(err) }},
		{name: "user", code: 200,
			body: `{"id":"u1","mail":"ada@fabrikam.com","userType":"Guest","externalUserState":"PendingAcceptance","creationType":"Invitation","createdDateTime":"2025-06-01T10:00:00Z","identities":[{"issuer":"x"}]}`,
			call: func(d *graph.Directory) (any, error) { return d.User(ctx, "u1") },
			want: workflow.DirectoryUser{ID: "u1", Mail: "ada@fabrikam.com", UserType: "Guest", ExternalUserState: "PendingAcceptance",
				CreationType: "Invitation", CreatedAt: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)}},
		{name: "user with null properties", code: 200, body: `{"id":"u1","mail":null,"createdDateTime":null}`,
			call: func(d *graph.Directory) (any, error) { return d.User(ctx, "u1") },
			want: workflow.DirectoryUser{ID: "u1"}},
		{name: "user not found", code: 404, body: `{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`,
			call:  func(d *graph.Directory) (any, error) { return d.User(ctx, "u1") },
			check: func(err error) bool { return errors.As(err, new(*workflow.NotFoundError)) }},
		{name: "lookup refused", code: 403, body: `{"error":{"code":"Authorization_RequestDenied","message":"no"}}`,
			call: func(d *graph.Directory) (any, error) {
				_, _, err := d.FindUserByMail(ctx, "ada@fabrikam.com")
				return nil, err
			},
			check: func(err error) bool { return errors.As(err, new(*workflow.PermanentError)) }},
		{name: "lookup: the second query's hit does not hide the first's failure", serve: byFilter(403, 200),
			call: func(d *graph.Directory) (any, error) {
				_, _, err := d.FindUserByMail(ctx, "ada@fabrikam.com")
				return nil, err
			},
			check: func(err error) bool { return errors.As(err, new(*workflow.PermanentError)) }},
		{name: "lookup: found by the second query", serve: byFilter(200, 200),
			call: func(d *graph.Directory) (any, error) {
				u, found, err := d.FindUserByMail(ctx, "ada@fabrikam.com")
				return fmt.Sprintf("%s %v", u.ID, found), err
			},
			want: "by-identities true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serve := tc.serve
			if serve == nil {
				serve = func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					if tc.body != "" {
						w.Header().Set("Content-Type", "application/json")
					}
					w.WriteHeader(tc.code)
					_, _ = io.WriteString(w, tc.body)
				}
			}
			srv := httptest.NewServer(serve)
			defer srv.Close()
			d, err := graph.New(ctx, graph.Options{BaseURL: srv.URL + "/v1.0", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.call(d)
			if tc.check != nil {
				if err == nil || !tc.check(err) {
					t.Fatalf("got %+v, %v: wrong error class", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v, want %+v", got, err, tc.want)
			}
		})
	}
}

// byFilter answers GET /users: the first AddressFilters query (no
// identities) with status first and no user, the identities query with
// status second and a user "by-identities".
func byFilter(first, second int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !strings.Contains(r.URL.Query().Get("$filter"), "identities/any") {
			w.WriteHeader(first)
			if first == 200 {
				_, _ = io.WriteString(w, `{"value":[]}`)
			} else {
				_, _ = io.WriteString(w, `{"error":{"code":"Authorization_RequestDenied","message":"no"}}`)
			}
			return
		}
		w.WriteHeader(second)
		_, _ = io.WriteString(w, `{"value":[{"id":"by-identities","userType":"Guest"}]}`)
	}
}
