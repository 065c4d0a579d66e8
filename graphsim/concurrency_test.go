package graphsim_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/b2b-onboarding/onboard/graphsim"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// TestParallelClients drives invitations, memberships, batches, admin
// reads and resets of knobs from many goroutines; run with -race.
func TestParallelClients(t *testing.T) {
	e := newEnv(t, graphsim.Config{Knobs: &graphsim.Knobs{ShuffleBatch: true}}, clientOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				email := fmt.Sprintf("p%d-%d@contoso.com", w, i)
				inv, err := e.client.Invitations().Post(ctx(t), newInvitation(email, true), nil)
				if err != nil {
					errs <- err
					return
				}
				id := *inv.GetInvitedUser().GetId()
				b := msgraphgocore.NewBatchRequest(e.adapter)
				ri, err := e.client.Groups().ByGroupId(graphsim.SampleGroupPartners).Members().Ref().ToPostRequestInformation(ctx(t), memberRef(id), nil)
				if err == nil {
					_, err = b.AddBatchRequestStep(*ri)
				}
				if err == nil {
					ri, err = e.client.RoleManagement().Directory().RoleAssignments().ToPostRequestInformation(ctx(t), roleAssignment(id, graphsim.RoleDirectoryReaders), nil)
				}
				if err == nil {
					_, err = b.AddBatchRequestStep(*ri)
				}
				if err == nil {
					var resp msgraphgocore.BatchResponse
					resp, err = b.Send(ctx(t), e.adapter)
					if err == nil && len(resp.GetFailedResponses()) > 0 {
						err = fmt.Errorf("failed items: %v", resp.GetFailedResponses())
					}
				}
				if err != nil {
					errs <- err
					return
				}
				_ = e.sim.State()
				_ = e.sim.RequestCounts()
				_ = e.sim.SetKnobs(e.sim.Knobs())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := e.sim.State()
	if len(s.Users) != 3+40 || len(s.Groups[0].Members) != 1+40 || len(s.RoleAssignments) != 40 {
		t.Errorf("state: %d users, %d partners, %d role assignments", len(s.Users), len(s.Groups[0].Members), len(s.RoleAssignments))
	}
}
