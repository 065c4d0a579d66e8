package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/b2b-onboarding/onboard/workflow"
)

// User reads and the invitation's answer decode only what is read. The
// SDK's model parser builds a deserializer for each of a user's ~150
// properties per user object parsed (the largest allocation of an
// onboarding in the handler path). The requests are built by raw.go and
// sent through msgraph-sdk-go's adapter (auth, retry, telemetry, the same
// ODataError on failure); only the body is decoded here.

// userJSON is a user as selected by userSelect.
type userJSON struct {
	ID                string     `json:"id"`
	Mail              string     `json:"mail"`
	UserType          string     `json:"userType"`
	ExternalUserState string     `json:"externalUserState"`
	CreationType      string     `json:"creationType"`
	CreatedDateTime   *time.Time `json:"createdDateTime"`
}

func (u userJSON) directoryUser() workflow.DirectoryUser {
	out := workflow.DirectoryUser{ID: u.ID, Mail: u.Mail, UserType: u.UserType,
		ExternalUserState: u.ExternalUserState, CreationType: u.CreationType}
	if u.CreatedDateTime != nil {
		out.CreatedAt = u.CreatedDateTime.UTC()
	}
	return out
}

// invitationJSON is the part of POST /invitations' answer that is read:
// invitedUser.id (the guest's object id) and status.
type invitationJSON struct {
	InvitedUser struct {
		ID string `json:"id"`
	} `json:"invitedUser"`
	Status string `json:"status"`
}

// usersJSON is the first page of a user collection.
type usersJSON struct {
	Value []userJSON `json:"value"`
}

// sdkErrors maps every failure to *odataerrors.ODataError, as the
// generated Get methods do.
var sdkErrors = abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// sendJSON sends info through the SDK's adapter and decodes the JSON body
// into v. An answer without a body is an error: these requests always
// have one.
func (d *Directory) sendJSON(ctx context.Context, info *abstractions.RequestInformation, v any) error {
	raw, err := d.adapter.SendPrimitive(ctx, info, "[]byte", sdkErrors)
	if err != nil {
		return err
	}
	b, _ := raw.([]byte)
	if len(b) == 0 {
		return errors.New("graph answered without a body")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode graph answer: %w", err)
	}
	return nil
}
