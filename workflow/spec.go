package workflow

// PartnerApproved is the data of a partner-approved event, mirroring the
// admin-center "invite external user" form. Only Email and RequestID are
// required; unknown fields are rejected.
type PartnerApproved struct {
	RequestID        string           `json:"requestId"`
	Email            string           `json:"email"`
	DisplayName      string           `json:"displayName,omitempty"`
	UserType         string           `json:"userType,omitempty"`
	RedirectURL      string           `json:"redirectUrl,omitempty"`
	Invitation       *InvitationInput `json:"invitation,omitempty"`
	Identity         *IdentityInput   `json:"identity,omitempty"`
	Job              *JobInput        `json:"job,omitempty"`
	Contact          *ContactInput    `json:"contact,omitempty"`
	ParentalControls *ParentalInput   `json:"parentalControls,omitempty"`
	Settings         *SettingsInput   `json:"settings,omitempty"`
	Groups           []string         `json:"groups,omitempty"`
	Roles            []string         `json:"roles,omitempty"`
	Applications     []AppAssignment  `json:"applications,omitempty"`
	// Sponsors are the internal users or groups (object ids, at most
	// MaxSponsors) responsible for the guest (POST /users/{id}/sponsors/$ref).
	Sponsors []string `json:"sponsors,omitempty"`
}

// InvitationInput is the "Invitation message" part of the form.
type InvitationInput struct {
	Send     *bool  `json:"send,omitempty"`                     // default true
	Message  string `json:"message,omitempty" text:"multiline"` // may hold line breaks and tabs (TextRule)
	CC       string `json:"cc,omitempty"`
	Language string `json:"language,omitempty"`
}

// IdentityInput is the "Identity" property category.
type IdentityInput struct {
	GivenName string `json:"givenName,omitempty"`
	Surname   string `json:"surname,omitempty"`
}

// JobInput is the "Job information" property category.
type JobInput struct {
	JobTitle    string `json:"jobTitle,omitempty"`
	Department  string `json:"department,omitempty"`
	CompanyName string `json:"companyName,omitempty"`
	EmployeeID  string `json:"employeeId,omitempty"`
	ManagerID   string `json:"managerId,omitempty"`
}

// ContactInput is the "Contact information" property category.
type ContactInput struct {
	MobilePhone   string `json:"mobilePhone,omitempty"`
	BusinessPhone string `json:"businessPhone,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	City          string `json:"city,omitempty"`
	State         string `json:"state,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
}

// ParentalInput is the "Parental controls" property category.
type ParentalInput struct {
	AgeGroup                string `json:"ageGroup,omitempty"`
	ConsentProvidedForMinor string `json:"consentProvidedForMinor,omitempty"`
}

// SettingsInput is the "Settings" property category.
type SettingsInput struct {
	UsageLocation string `json:"usageLocation,omitempty"`
}

// AppAssignment is an enterprise application assignment: the resource
// service principal and the app role (DefaultAppRoleID when empty).
type AppAssignment struct {
	ServicePrincipalID string `json:"servicePrincipalId"`
	AppRoleID          string `json:"appRoleId,omitempty"`
}

// Spec is the validated, normalized desired state of one onboarding.
type Spec struct {
	RequestID     string          `json:"-"`                       // of the event this spec came from
	Email         string          `json:"email"`                   // normalized: lower case, +tag removed
	OriginalEmail string          `json:"originalEmail,omitempty"` // as received, when it differs
	DisplayName   string          `json:"displayName,omitempty"`
	UserType      string          `json:"userType"`
	RedirectURL   string          `json:"redirectUrl"`
	SendMessage   bool            `json:"sendMessage"`
	Message       string          `json:"message,omitempty"`
	CC            string          `json:"cc,omitempty"`
	Language      string          `json:"language,omitempty"`
	Properties    UserProperties  `json:"properties"`
	ManagerID     string          `json:"managerId,omitempty"`
	Groups        []string        `json:"groups,omitempty"`
	Roles         []string        `json:"roles,omitempty"`
	Apps          []AppAssignment `json:"apps,omitempty"`
	Sponsors      []string        `json:"sponsors,omitempty"`
}
