package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Requests are built here, not with msgraph-sdk-go's typed models: a
// request body or answer typed as a model (models.User, models.Invitation
// …) links the SDK's whole model graph into the binary (~25 MiB, most of
// serve's start-up in page faults and itab set-up) and parses every answer
// through a deserializer per property. They are still sent by the SDK's
// request adapter (authentication, retry, telemetry, the same
// *odataerrors.ODataError on failure); bodies are written and read with
// encoding/json as the types in this package describe them.

// newRequest is a request for path (relative to the Graph root, e.g.
// "/users/{id}", each segment already escaped) with the given query and,
// when body is not nil, body as its JSON content.
func (d *Directory) newRequest(method abstractions.HttpMethod, path string, query url.Values, body any) (*abstractions.RequestInformation, error) {
	u, err := url.Parse(d.base + path)
	if err != nil {
		return nil, fmt.Errorf("graph request url %q: %w", path, err)
	}
	if len(query) > 0 {
		// Graph reads $select=a,b and $filter with %20 for spaces
		u.RawQuery = strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	info := abstractions.NewRequestInformation()
	info.Method = method
	info.SetUri(*u)
	info.Headers.TryAdd("Accept", "application/json")
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("graph request body: %w", err)
		}
		info.SetStreamContentAndContentType(b, "application/json")
	}
	return info, nil
}

// get sends GET path?query and decodes the answer into v.
func (d *Directory) get(ctx context.Context, path string, query url.Values, v any) error {
	info, err := d.newRequest(abstractions.GET, path, query, nil)
	if err != nil {
		return err
	}
	return d.sendJSON(ctx, info, v)
}

// send sends method path with body (nil: none) and expects no content
// worth reading.
func (d *Directory) send(ctx context.Context, method abstractions.HttpMethod, path string, body any) error {
	info, err := d.newRequest(method, path, nil, body)
	if err != nil {
		return err
	}
	return d.adapter.SendNoContent(ctx, info, sdkErrors)
}

// sdkErrors maps every failure to *odataerrors.ODataError, as the
// generated Get methods do.
var sdkErrors = abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// sendJSON sends info through the SDK's adapter and decodes the JSON body
// into v. An answer without a body is an error: these requests always
// have one.
func (d *Directory) sendJSON(ctx context.Context, info *abstractions.RequestInformation, v any) error {
	raw, err := d.adapter.SendPrimitive(ctx, info, "[]byte", sdkErrors)
	if err != nil {
		return err
	}
	b, _ := raw.([]byte)
	if len(b) == 0 {
		return errors.New("graph answered without a body")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode graph answer: %w", err)
	}
	return nil
}

// selectQuery is the query $select=fields.
func selectQuery(fields ...string) url.Values {
	return url.Values{"$select": {strings.Join(fields, ",")}}
}

// seg escapes one path segment (an object id).
func seg(id string) string { return url.PathEscape(id) }

// odataRef is the body of a $ref request: {"@odata.id": url}.
type odataRef struct {
	ID string `json:"@odata.id"`
}
