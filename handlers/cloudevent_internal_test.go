package handlers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TestUnmarshalEventIsJSONUnmarshal: for valid and invalid bodies,
// unmarshalEvent gives the event and the error json.Unmarshal gives.
func TestUnmarshalEventIsJSONUnmarshal(t *testing.T) {
	bodies := []string{
		``, ` `, `null`, ` null `, `[]`, `"x"`, `1`, `true`, `{}`, " \t\r\n{}\n ", `{`, `{} {}`, `{"specversion":"1.0"}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`,
		` {"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":[1,2]}} `,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"e30="}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"x","datacontenttype":"text/plain"}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"not a time"}`,
		`{"specversion":"0.3","id":"1","source":"/s","type":"t","ext":1}`, `{"specversion":"9"}`, `{"specversion":1}`,
		`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":}`,
	}
	files, _ := filepath.Glob("../examples/*.json")
	more, _ := filepath.Glob("testdata/*.json")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(b))
	}
	for _, b := range bodies {
		var want, got event.Event
		wantErr := json.Unmarshal([]byte(b), &want)
		gotErr := unmarshalEvent([]byte(b), json.Valid([]byte(b)), &got)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%.80q: unmarshalEvent: %v; json.Unmarshal: %v; same event: %v", b, gotErr, wantErr, reflect.DeepEqual(got, want))
		}
	}
}
