package graphsim_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

func memberRef(id string) models.ReferenceCreateable {
	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr("https://graph.microsoft.com/v1.0/directoryObjects/" + id))
	return ref
}

func addMember(t *testing.T, e *env, groupID, id string) {
	t.Helper()
	if err := e.client.Groups().ByGroupId(groupID).Members().Ref().Post(ctx(t), memberRef(id), nil); err != nil {
		t.Fatalf("add %s to %s: %v", id, groupID, err)
	}
}

func TestGroupMembersRef(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	id := *invite(t, e, "member@contoso.com", false).GetInvitedUser().GetId()
	addMember(t, e, graphsim.SampleGroupApollo, id)

	err := e.client.Groups().ByGroupId(graphsim.SampleGroupApollo).Members().Ref().Post(ctx(t), memberRef(id), nil)
	wantODataError(t, err, http.StatusBadRequest, graphsim.CodeRequestBadRequest, graphsim.MsgMemberExists)

	err = e.client.Groups().ByGroupId("9f0c0000-0000-4000-8000-0000000000ff").Members().Ref().Post(ctx(t), memberRef(id), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "9f0c0000-0000-4000-8000-0000000000ff")

	err = e.client.Groups().ByGroupId(graphsim.SampleGroupApollo).Members().Ref().Post(ctx(t), memberRef("5a1e0000-0000-4000-8000-0000000000ff"), nil)
	wantODataError(t, err, http.StatusNotFound, graphsim.CodeResourceNotFound, "5a1e0000-0000-4000-8000-0000000000ff")

	members, err := e.client.Groups().ByGroupId(graphsim.SampleGroupApollo).Members().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range members.GetValue() {
		if _, ok := m.(models.Userable); !ok {
			t.Errorf("member %T is not a User", m)
		}
		ids = append(ids, *m.GetId())
	}
	if !slices.Equal(ids, []string{graphsim.SampleUserMegan, graphsim.SampleUserAlex, id}) {
		t.Errorf("members = %v", ids)
	}
	if err := e.client.Groups().ByGroupId(graphsim.SampleGroupApollo).Members().ByDirectoryObjectId(id).Ref().Delete(ctx(t), nil); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if slices.Contains(e.sim.MembersOf(graphsim.SampleGroupApollo), id) {
		t.Errorf("still a member after delete")
	}
}

func TestListGroups(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	all, err := e.client.Groups().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetValue()) != len(graphsim.SampleSeed().Groups) {
		t.Fatalf("groups = %d", len(all.GetValue()))
	}
	res, err := e.client.Groups().Get(ctx(t), &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Filter: ptr("displayName eq 'Partners - Fabrikam'"), Select: []string{"id", "displayName"}},
	})
	if err != nil || len(res.GetValue()) != 1 || *res.GetValue()[0].GetId() != graphsim.SampleGroupPartners {
		t.Fatalf("filter: %v %v", err, res)
	}
	g, err := e.client.Groups().ByGroupId(graphsim.SampleGroupApollo).Get(ctx(t), nil)
	if err != nil || *g.GetDisplayName() != "Project Apollo" || g.GetGroupTypes()[0] != "Unified" {
		t.Fatalf("get group: %v", err)
	}
}

func TestPatchGroupMembersBind(t *testing.T) {
	e := newEnv(t, graphsim.Config{}, clientOptions{})
	var ids []string
	for i := 0; i < 21; i++ {
		ids = append(ids, *invite(t, e, fmt.Sprintf("bulk%02d@contoso.com", i), false).GetInvitedUser().GetId())
	}
	bind := func(list []string) error {
		var refs []string
		for _, id := range list {
			refs = append(refs, "https://graph.microsoft.com/v1.0/directoryObjects/"+id)
		}
		g := models.NewGroup()
		g.SetAdditionalData(map[string]any{"members@odata.bind": refs})
		_, err := e.client.Groups().ByGroupId(graphsim.SampleGroupPartners).Patch(ctx(t), g, nil)
		return err
	}
	wantODataError(t, bind(ids), http.StatusBadRequest, graphsim.CodeRequestBadRequest, "at most 20")
	// one missing object: nothing is added
	withMissing := append(append([]string{}, ids[:3]...), "5a1e0000-0000-4000-8000-0000000000ff")
	wantODataError(t, bind(withMissing), http.StatusNotFound, graphsim.CodeResourceNotFound, "")
	// one existing member: nothing is added
	withExisting := append(append([]string{}, ids[:3]...), graphsim.SampleUserMegan)
	wantODataError(t, bind(withExisting), http.StatusBadRequest, graphsim.CodeRequestBadRequest, graphsim.MsgMemberExists)
	if n := len(e.sim.MembersOf(graphsim.SampleGroupPartners)); n != 1 {
		t.Fatalf("members after refused binds = %d, want 1 (all or nothing)", n)
	}
	if err := bind(ids[:20]); err != nil {
		t.Fatalf("bind 20: %v", err)
	}
	if n := len(e.sim.MembersOf(graphsim.SampleGroupPartners)); n != 21 {
		t.Errorf("members = %d, want 21", n)
	}
}
