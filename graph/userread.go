package graph

import (
	"time"

	"github.com/b2b-onboarding/onboard/workflow"
)

// User reads and the invitation's answer decode only what is read. The
// SDK's model parser builds a deserializer for each of a user's ~150
// properties per user object parsed (the largest allocation of an
// onboarding in the handler path). The requests are built and sent by
// raw.go; this file holds the types their answers are decoded into.

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
