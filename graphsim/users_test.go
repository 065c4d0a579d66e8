package graphsim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

func TestGetUserSelect(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	id := *invite(t, e, "sel@contoso.com", false).GetInvitedUser().GetId()

	plain, err := e.client.Users().ByUserId(id).Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.GetExternalUserState() != nil || plain.GetUserType() != nil || plain.GetCreationType() != nil {
		t.Errorf("externalUserState/userType/creationType must only come with $select")
	}
	sel, err := e.client.Users().ByUserId(id).Get(ctx(t), &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "mail", "externalUserState", "userType", "creationType"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *sel.GetExternalUserState() != "PendingAcceptance" || *sel.GetUserType() != "Guest" || *sel.GetCreationType() != "Invitation" {
		t.Errorf("selected = %v %v %v", *sel.GetExternalUserState(), *sel.GetUserType(), *sel.GetCreationType())
	}
	if sel.GetDisplayName() != nil {
		t.Errorf("displayName not selected but returned")
	}
	if _, err := e.sim.Accept("sel@contoso.com"); err != nil {
		t.Fatal(err)
	}
	sel, err = e.client.Users().ByUserId(id).Get(ctx(t), &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"externalUserState"}},
	})
	if err != nil || *sel.GetExternalUserState() != "Accepted" {
		t.Fatalf("after accept: %v %v", err, sel)
	}
	// by userPrincipalName: '#' travels as %23
	byUPN, err := e.client.Users().ByUserId("sel_contoso.com#EXT#@fabrikam.onmicrosoft.com").Get(ctx(t), nil)
	if err != nil || *byUPN.GetId() != id {
		t.Fatalf("by UPN: %v", err)
	}
	_, err = e.client.Users().ByUserId("00000000-1111-4000-8000-000000000000").Get(ctx(t), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "does not exist")
	_, err = e.client.Users().ByUserId(id).Get(ctx(t), &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: []string{"nonsense"}},
	})
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, "nonsense")
}

func TestListUsersFilterByMail(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	a := *invite(t, e, "o'brien@contoso.com", false).GetInvitedUser().GetId()
	b := *invite(t, e, "second@contoso.com", false).GetInvitedUser().GetId()
	// b also owns an alternate address
	patch := models.NewUser()
	patch.SetOtherMails([]string{"alias@contoso.com"})
	if err := patchUser(e, t, b, patch); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filter string
		want   []string
	}{
		{"mail eq 'o''brien@contoso.com'", []string{a}},
		{"mail eq 'O''BRIEN@contoso.com'", []string{a}},
		{"otherMails/any(x:x eq 'alias@contoso.com')", []string{b}},
		{"mail eq 'alias@contoso.com' or otherMails/any(x:x eq 'alias@contoso.com')", []string{b}},
		{"mail eq 'second@contoso.com' or otherMails/any(m:m eq 'second@contoso.com')", []string{b}},
		{"mail eq 'nobody@contoso.com'", nil},
		{"userType eq 'Guest' and startsWith(displayName,'o''b')", []string{a}},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			res, err := e.client.Users().Get(ctx(t), &users.UsersRequestBuilderGetRequestConfiguration{
				QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: ptr(c.filter), Select: []string{"id", "mail", "externalUserState"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range res.GetValue() {
				got = append(got, *u.GetId())
				if u.GetExternalUserState() == nil {
					t.Errorf("selected externalUserState missing")
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	// advanced queries need ConsistencyLevel: eventual + $count
	_, err := e.client.Users().Get(ctx(t), &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: ptr("mail ne 'x@contoso.com'")},
	})
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeUnsupportedQuery, "ConsistencyLevel")
	_, err = e.client.Users().Get(ctx(t), &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: ptr("mail eq 'unterminated")},
	})
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, "unterminated")
}

func patchUser(e *env, t *testing.T, id string, u models.Userable) error {
	return func() error { _, err := e.client.Users().ByUserId(id).Patch(ctx(t), u, nil); return err }()
}

func TestPatchUserRules(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	id := *invite(t, e, "props@contoso.com", false).GetInvitedUser().GetId()
	ok := models.NewUser()
	ok.SetGivenName(ptr("Ana"))
	ok.SetSurname(ptr("Silva"))
	ok.SetJobTitle(ptr(strings.Repeat("j", 128)))
	ok.SetDepartment(ptr("Sales"))
	ok.SetCompanyName(ptr("Contoso"))
	ok.SetEmployeeId(ptr("E-1234"))
	ok.SetBusinessPhones([]string{"+1 425 555 0100"})
	ok.SetMobilePhone(ptr("+1 425 555 0101"))
	ok.SetStreetAddress(ptr("1 Main St"))
	ok.SetCity(ptr("Redmond"))
	ok.SetState(ptr("WA"))
	ok.SetPostalCode(ptr("98052"))
	ok.SetCountry(ptr("United States"))
	ok.SetUsageLocation(ptr("US"))
	ok.SetAgeGroup(ptr("Adult"))
	ok.SetConsentProvidedForMinor(ptr("NotRequired"))
	ok.SetAccountEnabled(ptr(false))
	ok.SetPreferredLanguage(ptr("en-US"))
	if err := patchUser(e, t, id, ok); err != nil {
		t.Fatalf("valid patch: %v", err)
	}
	u, _ := e.sim.GetUser(id)
	if u.AccountEnabled || u.Properties["usageLocation"] != "US" || u.Properties["ageGroup"] != "Adult" || u.Properties["givenName"] != "Ana" {
		t.Errorf("after patch: %+v", u.Properties)
	}
	if e.gzipped() == 0 {
		t.Errorf("the SDK sent no gzip bodies; the gzip path is not exercised")
	}

	cases := []struct {
		name, prop string
		set        func(models.Userable)
	}{
		{"givenName too long", "givenName", func(u models.Userable) { u.SetGivenName(ptr(strings.Repeat("g", 65))) }},
		{"jobTitle too long", "jobTitle", func(u models.Userable) { u.SetJobTitle(ptr(strings.Repeat("j", 129))) }},
		{"employeeId too long", "employeeId", func(u models.Userable) { u.SetEmployeeId(ptr(strings.Repeat("1", 17))) }},
		{"postalCode too long", "postalCode", func(u models.Userable) { u.SetPostalCode(ptr(strings.Repeat("1", 41))) }},
		{"two business phones", "businessPhones", func(u models.Userable) { u.SetBusinessPhones([]string{"1", "2"}) }},
		{"ageGroup enum", "ageGroup", func(u models.Userable) { u.SetAgeGroup(ptr("Teen")) }},
		{"consent enum", "consentProvidedForMinor", func(u models.Userable) { u.SetConsentProvidedForMinor(ptr("Maybe")) }},
		{"usageLocation", "usageLocation", func(u models.Userable) { u.SetUsageLocation(ptr("USA")) }},
		{"userType enum", "userType", func(u models.Userable) { u.SetUserType(ptr("Visitor")) }},
		{"mail accents", "mail", func(u models.Userable) { u.SetMail(ptr("josé@contoso.com")) }},
		{"read-only creationType", "creationType", func(u models.Userable) { u.SetCreationType(ptr("LocalAccount")) }},
		{"unknown property", "favouriteColour", func(u models.Userable) { u.SetAdditionalData(map[string]any{"favouriteColour": "blue"}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := models.NewUser()
			c.set(u)
			wantODataError(t, patchUser(e, t, id, u), http.StatusBadRequest, graphsim.CodeRequestBadRequest, "'"+c.prop+"'")
		})
	}
	if u2, _ := e.sim.GetUser(id); u2.Properties["givenName"] != "Ana" {
		t.Errorf("a refused patch changed the user")
	}
}

func TestManagerDeleteMemberOf(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	id := *invite(t, e, "mgr@contoso.com", false).GetInvitedUser().GetId()
	_, err := e.client.Users().ByUserId(id).Manager().Get(ctx(t), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "manager")

	ref := models.NewReferenceUpdate()
	ref.SetOdataId(ptr("https://graph.microsoft.com/v1.0/users/" + graphsim.SampleUserMegan))
	if err := e.client.Users().ByUserId(id).Manager().Ref().Put(ctx(t), ref, nil); err != nil {
		t.Fatalf("put manager: %v", err)
	}
	m, err := e.client.Users().ByUserId(id).Manager().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if mu, ok := m.(models.Userable); !ok || *mu.GetId() != graphsim.SampleUserMegan || *mu.GetDisplayName() != "Megan Bowen" {
		t.Errorf("manager = %T %v", m, m.GetId())
	}
	bad := models.NewReferenceUpdate()
	bad.SetOdataId(ptr("https://graph.microsoft.com/v1.0/users/5a1e0000-0000-4000-8000-0000000000ff"))
	wantODataError(t, e.client.Users().ByUserId(id).Manager().Ref().Put(ctx(t), bad, nil), http.StatusNotFound, graphsim.CodeResourceNotFound, "0000000000ff")

	addMember(t, e, graphsim.SampleGroupPartners, id)
	mo, err := e.client.Users().ByUserId(id).MemberOf().Get(ctx(t), nil)
	if err != nil || len(mo.GetValue()) != 1 || *mo.GetValue()[0].GetId() != graphsim.SampleGroupPartners {
		t.Fatalf("memberOf: %v %v", err, mo)
	}
	if _, ok := mo.GetValue()[0].(models.Groupable); !ok {
		t.Errorf("memberOf item is %T, want a Group", mo.GetValue()[0])
	}

	if err := e.client.Users().ByUserId(id).Delete(ctx(t), nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = e.client.Users().ByUserId(id).Get(ctx(t), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "")
	for _, g := range e.sim.State().Groups {
		for _, m := range g.Members {
			if m == id {
				t.Errorf("deleted user still in %s", g.DisplayName)
			}
		}
	}
	wantODataError(t, e.client.Users().ByUserId(id).Delete(ctx(t), nil), http.StatusNotFound, graphsim.CodeResourceNotFound, "")
}

func countUsers(t *testing.T, e *env, filter string) int {
	t.Helper()
	res, err := e.client.Users().Get(ctx(t), &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Filter: &filter},
	})
	if err != nil {
		t.Fatalf("list users %q: %v", filter, err)
	}
	return len(res.GetValue())
}
