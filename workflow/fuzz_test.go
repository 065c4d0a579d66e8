package workflow_test

import (
	"errors"
	"testing"

	"github.com/b2b-onboarding/onboard/workflow"
)

// FuzzParsePartnerApproved: any bytes give either a spec whose key is a
// valid normalized address, or a ValidationError naming a field — never a
// panic. `go test -fuzz FuzzParsePartnerApproved ./workflow` explores more.
func FuzzParsePartnerApproved(f *testing.F) {
	for _, seed := range []string{
		adaData, `{"requestId":"r","email":"a+b@c.io"}`, `{"requestId":"r","email":"x@y.z","groups":[1]}`,
		`{"email":null}`, `[]`, `"x"`, ``, `{"requestId":"r","email":"é@ü.de","identity":{"givenName":"\u0000"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := workflow.ParsePartnerApproved(data, redirect)
		if err != nil {
			var ve *workflow.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" || ve.Rule == "" {
				t.Fatalf("error %v is not a ValidationError naming field and rule", err)
			}
			return
		}
		again, err := workflow.NormalizeEmail(s.Email)
		if err != nil || again != s.Email {
			t.Fatalf("key %q does not normalize to itself: %q %v", s.Email, again, err)
		}
		if len(s.Groups) > workflow.MaxGroups || len(s.Roles) > workflow.MaxRoles {
			t.Fatalf("limits not enforced: %d groups, %d roles", len(s.Groups), len(s.Roles))
		}
	})
}
