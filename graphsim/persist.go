package graphsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A tenant file (Config.StateFile) keeps the simulated tenant across
// restarts, as a real tenant outlives the processes that call it: `onboard
// dev` keeps it in its data directory next to the queues and the state
// store, so a guest invited before a restart still exists after it.
//
// What is kept: users with every property and their sponsors, groups and
// members, service principals, role definitions, role and app role
// assignments, the emails sent and the invitation count. What is not: knobs, request counts and
// the invitation throttle's window, which describe one run of the
// simulator, not the tenant.
//
// Every change is written before the request that made it is answered
// (a Graph write, $batch, or the admin API's accept and reset), to a
// temporary file that is synced and renamed over the old one, so a crash
// at any moment leaves the previous or the new tenant, never a torn file.
// When the file cannot be written the request is answered 500: the change
// is in memory but not on disk, and the caller must not take it as done.

// tenantFileVersion is the tenant file's format; a file of another version
// is refused rather than misread.
const tenantFileVersion = 1

type tenantFile struct {
	Version            int                    `json:"version"`
	Domain             string                 `json:"domain"`
	TenantID           string                 `json:"tenantId"`
	Users              []userFile             `json:"users"`
	Groups             []SeedGroup            `json:"groups"`
	ServicePrincipals  []SeedServicePrincipal `json:"servicePrincipals"`
	RoleDefinitions    []SeedRoleDefinition   `json:"roleDefinitions"`
	RoleAssignments    []RoleAssignment       `json:"roleAssignments"`
	AppRoleAssignments []appAssignmentFile    `json:"appRoleAssignments"`
	Emails             map[string][]Email     `json:"emails"`
	Invitations        int                    `json:"invitations"`
	GroupPatterns      []string               `json:"groupAddressPatterns"`
	AllowInvitesFrom   string                 `json:"allowInvitesFrom"`
	PrivacyURL         string                 `json:"privacyStatementUrl"`
}

type userFile struct {
	Props     map[string]any `json:"props"`
	ManagerID string         `json:"managerId,omitempty"`
	Sponsors  []string       `json:"sponsors,omitempty"`
	VisibleAt time.Time      `json:"visibleAt,omitzero"`
}

type appAssignmentFile struct {
	AppRoleAssignment
	PrincipalType        string    `json:"principalType"`
	PrincipalDisplayName string    `json:"principalDisplayName"`
	ResourceDisplayName  string    `json:"resourceDisplayName"`
	Created              time.Time `json:"created"`
}

// fileOf is the tenant as the tenant file keeps it. Must be called with
// s.mu held.
func (t *tenant) fileOf() tenantFile {
	f := tenantFile{Version: tenantFileVersion, Domain: t.domain, TenantID: t.tenantID, Emails: t.emails,
		Invitations: t.invitations, GroupPatterns: t.groupPatterns, AllowInvitesFrom: t.allowInvitesFrom, PrivacyURL: t.privacyURL}
	for _, k := range t.userOrder {
		u := t.users[k]
		f.Users = append(f.Users, userFile{Props: u.props, ManagerID: u.managerID, Sponsors: u.sponsors, VisibleAt: u.visibleAt})
	}
	for _, k := range t.groupOrd {
		g := t.groups[k]
		f.Groups = append(f.Groups, SeedGroup{ID: g.id, DisplayName: g.displayName, Description: g.description, Mail: g.mail,
			MailNickname: g.mailNickname, MailEnabled: g.mailEnabled, SecurityEnabled: g.securityEnabled, GroupTypes: g.groupTypes,
			MembershipRule: g.membershipRule, OnPremisesSyncEnabled: g.onPremSync, Members: g.members})
	}
	for _, k := range t.spOrder {
		sp := t.sps[k]
		f.ServicePrincipals = append(f.ServicePrincipals, SeedServicePrincipal{ID: sp.id, AppID: sp.appID, DisplayName: sp.displayName, AppRoles: sp.appRoles})
	}
	for _, r := range t.roleDefs {
		f.RoleDefinitions = append(f.RoleDefinitions, r.SeedRoleDefinition)
	}
	for _, a := range t.roleAssignments {
		f.RoleAssignments = append(f.RoleAssignments, RoleAssignment{ID: a.id, RoleDefinitionID: a.roleDefinitionID,
			PrincipalID: a.principalID, DirectoryScopeID: a.directoryScopeID, AppScopeID: a.appScopeID})
	}
	for _, a := range t.appRoleAssignments {
		f.AppRoleAssignments = append(f.AppRoleAssignments, appAssignmentFile{
			AppRoleAssignment: AppRoleAssignment{ID: a.id, AppRoleID: a.appRoleID, PrincipalID: a.principalID, ResourceID: a.resourceID},
			PrincipalType:     a.principalType, PrincipalDisplayName: a.principalDisplayName, ResourceDisplayName: a.resourceDisplayName, Created: a.created})
	}
	return f
}

// tenantFromFile rebuilds the tenant a tenant file keeps.
func tenantFromFile(f tenantFile) (*tenant, error) {
	if f.Version != tenantFileVersion {
		return nil, fmt.Errorf("format version %d, this graphsim reads version %d", f.Version, tenantFileVersion)
	}
	t := &tenant{domain: f.Domain, tenantID: f.TenantID, users: map[string]*user{}, groups: map[string]*group{},
		sps: map[string]*servicePrincipal{}, emails: f.Emails, invitations: f.Invitations, groupPatterns: f.GroupPatterns,
		allowInvitesFrom: f.AllowInvitesFrom, privacyURL: f.PrivacyURL}
	if t.emails == nil {
		t.emails = map[string][]Email{}
	}
	for i, uf := range f.Users {
		id, _ := uf.Props["id"].(string)
		if id == "" {
			return nil, fmt.Errorf("users[%d]: no id", i)
		}
		fillUserDefaults(uf.Props)
		k := strings.ToLower(id)
		t.users[k] = &user{props: uf.Props, managerID: uf.ManagerID, sponsors: uf.Sponsors, visibleAt: uf.VisibleAt}
		t.userOrder = append(t.userOrder, k)
	}
	for _, g := range f.Groups {
		k := strings.ToLower(g.ID)
		t.groups[k] = &group{id: g.ID, displayName: g.DisplayName, description: g.Description, mail: g.Mail, mailNickname: g.MailNickname,
			mailEnabled: g.MailEnabled, securityEnabled: g.SecurityEnabled, groupTypes: append([]string{}, g.GroupTypes...),
			membershipRule: g.MembershipRule, onPremSync: g.OnPremisesSyncEnabled, members: append([]string{}, g.Members...)}
		t.groupOrd = append(t.groupOrd, k)
	}
	for _, sp := range f.ServicePrincipals {
		k := strings.ToLower(sp.ID)
		t.sps[k] = &servicePrincipal{id: sp.ID, appID: sp.AppID, displayName: sp.DisplayName, appRoles: append([]SeedAppRole{}, sp.AppRoles...)}
		t.spOrder = append(t.spOrder, k)
	}
	for _, r := range f.RoleDefinitions {
		t.roleDefs = append(t.roleDefs, &roleDefinition{r})
	}
	for _, a := range f.RoleAssignments {
		t.roleAssignments = append(t.roleAssignments, &roleAssignment{id: a.ID, roleDefinitionID: a.RoleDefinitionID,
			principalID: a.PrincipalID, directoryScopeID: a.DirectoryScopeID, appScopeID: a.AppScopeID})
	}
	for _, a := range f.AppRoleAssignments {
		t.appRoleAssignments = append(t.appRoleAssignments, &appRoleAssignment{id: a.ID, appRoleID: a.AppRoleID, principalID: a.PrincipalID,
			principalType: a.PrincipalType, principalDisplayName: a.PrincipalDisplayName, resourceID: a.ResourceID,
			resourceDisplayName: a.ResourceDisplayName, created: a.Created})
	}
	return t, nil
}

// loadTenantFile reads a tenant file; ok is false when there is none yet.
func loadTenantFile(path string) (t *tenant, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var f tenantFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, false, fmt.Errorf("tenant file %s: %w (delete it to start from the seed)", path, err)
	}
	if t, err = tenantFromFile(f); err != nil {
		return nil, false, fmt.Errorf("tenant file %s: %w (delete it to start from the seed)", path, err)
	}
	return t, true, nil
}

// persist writes the tenant to Config.StateFile, if set. Saves are
// serialized and each takes its snapshot under s.mu, so the file always
// ends with the newest tenant. A snapshot equal to the last one written is
// not written again: most non-GET requests that fail (a 400, a throttled
// invitation) change nothing, and rewriting and syncing the whole tenant
// for them is wasted I/O on every request.
func (s *Server) persist() error {
	if s.stateFile == "" {
		return nil
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.mu.Lock()
	b, err := json.Marshal(s.t.fileOf())
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("graphsim: encode tenant: %w", err)
	}
	if bytes.Equal(b, s.saved) {
		return nil
	}
	if err := writeFileAtomic(s.stateFile, b); err != nil {
		return fmt.Errorf("graphsim: save tenant: %w", err)
	}
	s.saved = b
	return nil
}

// writeFileAtomic replaces path with b: a synced temporary file in the
// same folder renamed over it, then the folder synced.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
