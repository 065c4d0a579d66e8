package graphsim

import (
	"fmt"
	"net/http"
)

// Graph error codes the simulator answers with. They are the codes Graph
// uses for the same situations (see the reference page, §12).
const (
	CodeBadRequest          = "BadRequest"
	CodeAuthorizationDenied = "Authorization_RequestDenied"
	CodeRequestBadRequest   = "Request_BadRequest"
	CodeResourceNotFound    = "Request_ResourceNotFound"
	CodeUnsupportedQuery    = "Request_UnsupportedQuery"
	CodeTooManyRequests     = "TooManyRequests"
	CodeServiceUnavailable  = "serviceNotAvailable"
	CodeFailedDependency    = "FailedDependency"
	CodeInvalidAuthToken    = "InvalidAuthenticationToken"
	CodeUnsupportedMedia    = "UnsupportedMediaType"
	CodeMethodNotAllowed    = "Request_BadRequest"
	codeInternalServerError = "InternalServerError"
)

// Messages Graph (or community code observing Graph) uses verbatim; clients
// match on them, so they are kept exact.
const (
	MsgMemberExists      = "One or more added object references already exist for the following modified properties: 'members'."
	MsgConflictingObject = "A conflicting object with one or more of the specified property values is present in the directory."
	MsgAppRoleExists     = "Permission being assigned already exists on the object."
	MsgGroupEmail        = "Group email address is not supported."
)

// graphError is an OData error answer: status, code and message. The
// request-id and date of innerError are filled in when it is written.
type graphError struct {
	status  int
	code    string
	message string
	header  map[string]string
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errorf(status int, code, format string, args ...any) *graphError {
	return &graphError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *graphError {
	return errorf(http.StatusBadRequest, CodeRequestBadRequest, format, args...)
}

// notFound is Graph's answer for a missing user, group or directory object.
func notFound(id string) *graphError {
	return errorf(http.StatusNotFound, CodeResourceNotFound,
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

// invalidProperty is Graph's answer to a bad property value; detail says
// which rule was broken.
func invalidProperty(prop, resource, detail string) *graphError {
	return badRequest("Invalid value specified for property '%s' of resource '%s': %s.", prop, resource, detail)
}

// errorBody renders the OData error object exactly in Graph's shape.
func errorBody(e *graphError, requestID, clientRequestID, date string) map[string]any {
	msg := e.message
	if msg == "" { // an error without message makes the Go SDK panic
		msg = http.StatusText(e.status)
	}
	return map[string]any{"error": map[string]any{
		"code":    e.code,
		"message": msg,
		"innerError": map[string]any{
			"date":              date,
			"request-id":        requestID,
			"client-request-id": clientRequestID,
		},
	}}
}
