package graphsim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// State is a snapshot of the tenant (GET /_sim/state).
type State struct {
	Domain             string              `json:"domain"`
	TenantID           string              `json:"tenantId"`
	Users              []User              `json:"users"`
	Groups             []Group             `json:"groups"`
	RoleAssignments    []RoleAssignment    `json:"roleAssignments"`
	AppRoleAssignments []AppRoleAssignment `json:"appRoleAssignments"`
	// Emails are the invitation emails sent, by lower-cased address.
	Emails map[string][]Email `json:"emails"`
	// Invitations counts successful POST /invitations.
	Invitations int `json:"invitations"`
}

// User is a user as the admin API shows it.
type User struct {
	ID                string         `json:"id"`
	DisplayName       string         `json:"displayName"`
	Mail              string         `json:"mail,omitempty"`
	UserPrincipalName string         `json:"userPrincipalName"`
	UserType          string         `json:"userType"`
	CreationType      string         `json:"creationType,omitempty"`
	ExternalUserState string         `json:"externalUserState,omitempty"`
	ManagerID         string         `json:"managerId,omitempty"`
	AccountEnabled    bool           `json:"accountEnabled"`
	VisibleAt         time.Time      `json:"visibleAt,omitzero"`
	Properties        map[string]any `json:"properties"` // every Graph property the simulator holds
}

// Group is a group and its member ids.
type Group struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Mail        string   `json:"mail,omitempty"`
	Members     []string `json:"members"`
}

// RoleAssignment is a directory role assignment.
type RoleAssignment struct {
	ID               string `json:"id"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	PrincipalID      string `json:"principalId"`
	DirectoryScopeID string `json:"directoryScopeId,omitempty"`
	AppScopeID       string `json:"appScopeId,omitempty"`
}

// AppRoleAssignment is an app role assignment.
type AppRoleAssignment struct {
	ID          string `json:"id"`
	AppRoleID   string `json:"appRoleId"`
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"`
}

// ErrNotFound is returned by admin operations for an unknown user.
var ErrNotFound = errors.New("graphsim: not found")

func (u *user) export() User {
	props := make(map[string]any, len(u.props))
	for k, v := range u.props {
		props[k] = v
	}
	b, _ := u.props["accountEnabled"].(bool)
	return User{
		ID: u.id(), DisplayName: u.str("displayName"), Mail: u.str("mail"), UserPrincipalName: u.str("userPrincipalName"),
		UserType: u.str("userType"), CreationType: u.str("creationType"), ExternalUserState: u.str("externalUserState"),
		ManagerID: u.managerID, AccountEnabled: b, VisibleAt: u.visibleAt, Properties: props,
	}
}

// State returns a deep snapshot of the tenant.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	st := State{Domain: t.domain, TenantID: t.tenantID, Emails: map[string][]Email{}, Invitations: t.invitations,
		Users: []User{}, Groups: []Group{}, RoleAssignments: []RoleAssignment{}, AppRoleAssignments: []AppRoleAssignment{}}
	for _, k := range t.userOrder {
		st.Users = append(st.Users, t.users[k].export())
	}
	for _, k := range t.groupOrd {
		g := t.groups[k]
		st.Groups = append(st.Groups, Group{ID: g.id, DisplayName: g.displayName, Mail: g.mail, Members: append([]string{}, g.members...)})
	}
	for _, a := range t.roleAssignments {
		st.RoleAssignments = append(st.RoleAssignments, RoleAssignment{ID: a.id, RoleDefinitionID: a.roleDefinitionID,
			PrincipalID: a.principalID, DirectoryScopeID: a.directoryScopeID, AppScopeID: a.appScopeID})
	}
	for _, a := range t.appRoleAssignments {
		st.AppRoleAssignments = append(st.AppRoleAssignments, AppRoleAssignment{ID: a.id, AppRoleID: a.appRoleID,
			PrincipalID: a.principalID, ResourceID: a.resourceID})
	}
	for k, v := range t.emails {
		st.Emails[k] = append([]Email{}, v...)
	}
	return st
}

// UserByMail returns the user whose mail or otherMails is addr (replication
// lag ignored).
func (s *Server) UserByMail(addr string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.t.userByAddress(addr)
	if u == nil {
		return User{}, false
	}
	return u.export(), true
}

// GetUser returns a user by object id or userPrincipalName (lag ignored).
func (s *Server) GetUser(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.t.lookupUser(id)
	if u == nil {
		return User{}, false
	}
	return u.export(), true
}

// MembersOf returns a group's member ids (nil if the group is unknown).
func (s *Server) MembersOf(groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.t.groups[strings.ToLower(groupID)]
	if !ok {
		return nil
	}
	return append([]string{}, g.members...)
}

// EmailsSent returns the invitation emails sent to an address, oldest first.
func (s *Server) EmailsSent(addr string) []Email {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Email(nil), s.t.emails[strings.ToLower(addr)]...)
}

// Accept redeems the invitation of a guest, given its email address or
// object id, as the guest would by clicking the link: externalUserState
// becomes Accepted.
func (s *Server) Accept(emailOrID string) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var u *user
	if strings.Contains(emailOrID, "@") {
		u = s.t.userByAddress(emailOrID)
	}
	if u == nil {
		u = s.t.lookupUser(emailOrID)
	}
	if u == nil {
		return User{}, fmt.Errorf("accept %s: %w", emailOrID, ErrNotFound)
	}
	if u.str("creationType") != "Invitation" {
		return User{}, fmt.Errorf("accept %s: user %s was not invited", emailOrID, u.id())
	}
	if u.str("externalUserState") != "Accepted" {
		u.props["externalUserState"] = "Accepted"
		u.props["externalUserStateChangeDateTime"] = s.now().UTC().Format(time.RFC3339)
		upn := u.str("userPrincipalName")
		u.props["identities"] = []any{
			map[string]any{"signInType": "userPrincipalName", "issuer": s.t.domain, "issuerAssignedId": upn},
			map[string]any{"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": nil},
		}
	}
	return u.export(), nil
}

// Reset restores the seed: users, groups, assignments, emails, request
// counts and the throttle window. Knobs are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t = newTenant(s.seed)
	s.counts = map[string]int{}
	s.inviteLog = nil
}
