package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// UserProperties are the settable guest properties of the admin-center
// form (identity, job info, contact info, parental controls, settings),
// flattened. An empty field is not sent.
type UserProperties struct {
	DisplayName             string `json:"displayName,omitempty"`
	GivenName               string `json:"givenName,omitempty"`
	Surname                 string `json:"surname,omitempty"`
	JobTitle                string `json:"jobTitle,omitempty"`
	Department              string `json:"department,omitempty"`
	CompanyName             string `json:"companyName,omitempty"`
	EmployeeID              string `json:"employeeId,omitempty"`
	MobilePhone             string `json:"mobilePhone,omitempty"`
	BusinessPhone           string `json:"businessPhone,omitempty"` // sent as businessPhones: [x]
	StreetAddress           string `json:"streetAddress,omitempty"`
	City                    string `json:"city,omitempty"`
	State                   string `json:"state,omitempty"`
	PostalCode              string `json:"postalCode,omitempty"`
	Country                 string `json:"country,omitempty"`
	AgeGroup                string `json:"ageGroup,omitempty"`
	ConsentProvidedForMinor string `json:"consentProvidedForMinor,omitempty"`
	UsageLocation           string `json:"usageLocation,omitempty"`
}

// IsZero reports whether no property is set.
func (p UserProperties) IsZero() bool { return p == UserProperties{} }

// Fingerprint is a short digest of the values, so that a record can tell
// whether exactly these values were already applied.
func (p UserProperties) Fingerprint() string {
	b, _ := json.Marshal(p) // a struct of strings always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// Merge returns p with every field that is set in q taking q's value.
func (p UserProperties) Merge(q UserProperties) UserProperties {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.DisplayName, q.DisplayName)
	set(&p.GivenName, q.GivenName)
	set(&p.Surname, q.Surname)
	set(&p.JobTitle, q.JobTitle)
	set(&p.Department, q.Department)
	set(&p.CompanyName, q.CompanyName)
	set(&p.EmployeeID, q.EmployeeID)
	set(&p.MobilePhone, q.MobilePhone)
	set(&p.BusinessPhone, q.BusinessPhone)
	set(&p.StreetAddress, q.StreetAddress)
	set(&p.City, q.City)
	set(&p.State, q.State)
	set(&p.PostalCode, q.PostalCode)
	set(&p.Country, q.Country)
	set(&p.AgeGroup, q.AgeGroup)
	set(&p.ConsentProvidedForMinor, q.ConsentProvidedForMinor)
	set(&p.UsageLocation, q.UsageLocation)
	return p
}
