package workflow

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// oracleShape exercises every kind of field the walker distinguishes.
type oracleShape struct {
	S     string            `json:"s"`
	M     string            `json:"m" text:"multiline"`
	B     *bool             `json:"b"`
	I8    int8              `json:"i8"`
	I16   int16             `json:"i16"`
	I32   int32             `json:"i32"`
	I     int               `json:"i"`
	U     uint              `json:"u"`
	F     float64           `json:"f"`
	Map   map[string]string `json:"map"`
	Any   any               `json:"any"`
	P     *oracleShape      `json:"p"`
	L     []*oracleShape    `json:"l"`
	Arr   [2]int            `json:"arr"`
	Skip  string            `json:"-"`
	NoTag string
}

// oracleTypes are the types every document is checked against.
var oracleTypes = []reflect.Type{nil, reflect.TypeFor[PartnerApproved](), reflect.TypeFor[ReminderData](), reflect.TypeFor[oracleShape]()}

// agreeWithWalker fails t when the fast path calls doc clean against typ
// but the walker (the implementation before the fast path, kept as the
// oracle) reports a problem, or when CheckJSON's answer differs from the
// walker's.
func agreeWithWalker(t *testing.T, doc []byte, typ reflect.Type) (clean bool) {
	t.Helper()
	want, wantOK := (&jsonWalker{root: "data"}).check("", doc, typ)
	clean = jsonClean(doc, typ)
	if clean && (len(want) > 0 || !wantOK) {
		t.Fatalf("jsonClean(%q, %v) = true, walker: %v (ok %v)", doc, typ, want, wantOK)
	}
	got, gotOK := CheckJSON(doc, typ)
	if fmt.Sprint(got) != fmt.Sprint(want) || gotOK != wantOK {
		t.Fatalf("CheckJSON(%q, %v) = %v (ok %v), walker: %v (ok %v)", doc, typ, got, gotOK, want, wantOK)
	}
	return clean
}

// oracleDocs are documents near every rule of the walker.
var oracleDocs = []string{
	`{}`, ` {} `, "\t{\r\n}\n", `[]`, `null`, `true`, `"x"`, `1`, ``, ` `, `{} {}`, `{}x`, "\xef\xbb\xbf{}", `{"s":"a"`, `{"s":"\xff"}`,
	`{"s":"a","s":"b"}`, `{"s":"a","S":"b"}`, `{"a":{"b":1,"B":2}}`, `{"a":[{"d":1,"d":2}]}`, `{"a":{"b":1},"b":{"b":1}}`,
	`{"":1}`, `{"\u0073":"a"}`, `{"s\u0000":1}`, `{"k":1,"\u212a":2}`, `{"ß":1,"SS":2}`, `{"é":1,"É":2}`,
	`{"s":"plain text"}`, `{"s":"tab\there"}`, `{"m":"tab\there\r\nand line"}`, `{"s":"\n"}`, `{"m":"\n"}`, `{"s":"\u007f"}`, "{\"s\":\"\x7f\"}",
	`{"s":"\u00e9\u4e2d"}`, `{"s":"é中"}`, `{"s":"\u200b"}`, "{\"s\":\"\u200b\"}", `{"s":"\u2028"}`, "{\"m\":\"\u2028\"}", `{"s":"\ufffe"}`, `{"s":"\ufdd0"}`,
	`{"s":"\ud83d\ude00"}`, `{"s":"\ud800"}`, `{"s":"\udc00x"}`, "{\"s\":\"😀\"}", `{"s":"\"\\\/\b\f"}`, `{"s":"\/"}`, `{"s":"\u0000"}`, `{"s":"\u202e"}`, `{"s":"\u0085"}`,
	`{"s":1}`, `{"s":true}`, `{"s":null}`, `{"s":[]}`, `{"s":{}}`, `{"b":true}`, `{"b":"true"}`, `{"b":null}`, `{"b":1}`,
	`{"i8":127}`, `{"i8":128}`, `{"i8":-128}`, `{"i8":-129}`, `{"i16":32767}`, `{"i16":32768}`, `{"i32":-2147483648}`, `{"i32":2147483648}`,
	`{"i":9223372036854775807}`, `{"i":9223372036854775808}`, `{"i":-9223372036854775808}`, `{"i":-9223372036854775809}`, `{"i":99999999999999999999}`,
	`{"i":-0}`, `{"i":0}`, `{"i":1.0}`, `{"i":1e2}`, `{"i":1E+2}`, `{"i":-1.5e-3}`, `{"i":"1"}`, `{"i":0000000000000000000001}`,
	`{"u":1}`, `{"u":null}`, `{"f":1.5}`, `{"f":null}`, `{"map":{}}`, `{"map":null}`, `{"any":1}`, `{"any":null}`, `{"arr":[1,2]}`, `{"arr":null}`,
	`{"p":{"p":{"s":"deep","l":[{"i":1},null,{"m":"x"}]}}}`, `{"p":{"P":{}}}`, `{"l":[{"s":1}]}`, `{"l":[1]}`, `{"Skip":"x"}`, `{"-":"x"}`, `{"NoTag":"x"}`, `{"notag":"x"}`,
	`{"key":"a@b.co","number":1,"cycle":0,"requestId":"r"}`, `{"key":"a@b.co","number":1.5}`, `{"key":"a@b.co","Number":1}`, `{"key":"a","number":1,"attempt":9}`,
	`{"requestId":"r","email":"a@b.co","groups":["g1","g2"],"applications":[{"servicePrincipalId":"s"}],"invitation":{"send":true,"message":"Hi\nthere"}}`,
	`{"requestId":"r","email":"a@b.co","groups":[1]}`, `{"requestId":"r","email":"a@b.co","invitation":{"send":"yes"}}`, `{"email":null}`,
	`{"requestId":"r","email":"a@b.co","identity":{"givenName":"\u0000"}}`, `{"requestId":"r","email":"a@b.co","displayName":"Jos\u00e9"}`,
	`{"d\u0061ta":1,"data_base64":""}`, `{"data":{"data_base64":1}}`, `{"x":[{"data":1}],"data":2}`, `[{"data":1}]`, `{"a":"data","b":"\"data\""}`,
	`{"a":-1.5e3,"b":[true,false,null,{}],"data":true}`, `{"a":null,"specversion":"1.0"}`, `{"data":"\ud800","data_base64":"x"}`,
	nested(32), nested(33), nested(100), manyKeys(63), manyKeys(64), manyKeys(65), manyKeys(200), nestedKeys(),
}

func nested(n int) string {
	return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
}

func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString(`,"K0":1}`)
	return b.String()
}

// nestedKeys has 40 keys open around a nested object of 40 more.
func nestedKeys() string {
	var b strings.Builder
	b.WriteString("{")
	for i := range 40 {
		fmt.Fprintf(&b, `"a%d":1,`, i)
	}
	b.WriteString(`"in":{`)
	for i := range 40 {
		fmt.Fprintf(&b, `"b%d":1,`, i)
	}
	b.WriteString(`"a0":1}}`)
	return b.String()
}

// corpusDocs returns the repository's event documents: examples/, the
// handlers' test messages, and the fuzz corpus of the workflow, with the
// data member of each CloudEvent on its own.
func corpusDocs(t testing.TB) [][]byte {
	t.Helper()
	var docs [][]byte
	for _, pattern := range []string{"../examples/*.json", "../handlers/testdata/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, b)
			var members map[string]json.RawMessage
			if json.Unmarshal(b, &members) == nil && members["data"] != nil {
				docs = append(docs, members["data"])
			}
		}
	}
	files, _ := filepath.Glob("testdata/fuzz/*/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(line, "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					docs = append(docs, []byte(s))
				}
			}
		}
	}
	if len(docs) < 8 {
		t.Fatalf("only %d corpus documents", len(docs))
	}
	return docs
}

// oracleCorpus is the documents near every rule, the repository's events,
// and variants of those with one byte removed, doubled or replaced (one
// variant per byte, to keep the tests quick: FuzzJSONClean explores more).
func oracleCorpus(t *testing.T) [][]byte {
	docs := corpusDocs(t)
	for _, d := range oracleDocs {
		docs = append(docs, []byte(d))
	}
	var variants [][]byte
	const replacements = `"\{[,:1eu}]`
	for _, d := range docs {
		if len(d) > 1000 {
			continue
		}
		for i := range d {
			var v []byte
			switch i % 3 {
			case 0:
				v = append(append([]byte{}, d[:i]...), d[i+1:]...)
			case 1:
				v = append(append([]byte{}, d[:i+1]...), d[i:]...)
			default:
				v = append([]byte{}, d...)
				v[i] = replacements[i/3%len(replacements)]
			}
			variants = append(variants, v)
		}
	}
	return append(docs, variants...)
}

// TestJSONCleanAgreesWithWalker compares the fast path with the walker on
// the oracle corpus.
func TestJSONCleanAgreesWithWalker(t *testing.T) {
	docs := oracleCorpus(t)
	clean := 0
	for _, d := range docs {
		for _, typ := range oracleTypes {
			if agreeWithWalker(t, d, typ) {
				clean++
			}
		}
	}
	t.Logf("%d documents × %d types: %d proved clean by the fast path", len(docs), len(oracleTypes), clean)
}

// TestHasJSONMemberAgreesWithMap compares HasJSONMember with what it
// replaces in the handler: json.Unmarshal into a map and a look-up.
func TestHasJSONMemberAgreesWithMap(t *testing.T) {
	found := 0
	for _, d := range oracleCorpus(t) {
		var m map[string]json.RawMessage
		decoded := json.Unmarshal(d, &m) == nil
		for _, name := range []string{"data", "data_base64", "specversion", "s", "k"} {
			_, want := m[name]
			if got := HasJSONMember(d, name); got != (decoded && want) {
				t.Fatalf("HasJSONMember(%q, %q) = %v, map has it: %v", d, name, got, decoded && want)
			}
			if want {
				found++
			}
		}
	}
	if found < 100 {
		t.Fatalf("only %d members found: the corpus does not exercise HasJSONMember", found)
	}
}

// TestJSONCleanTakesRealEvents: the fast path proves the repository's
// clean events clean, so deliveries do not fall back to the walker.
func TestJSONCleanTakesRealEvents(t *testing.T) {
	pa := reflect.TypeFor[PartnerApproved]()
	for _, f := range []string{"../examples/partner-approved.json", "../handlers/testdata/message-body.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonClean(b, nil) {
			t.Errorf("%s: the event is not proved clean", f)
		}
	}
	for _, f := range []string{"../examples/partner-approved.json", "../examples/ada.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(b, &members); err != nil {
			t.Fatal(err)
		}
		if data, ok := members["data"]; ok {
			b = data
		}
		if !jsonClean(b, pa) {
			t.Errorf("%s: the data is not proved clean", f)
		}
	}
	for _, d := range []string{
		`{"requestId":"r","email":"a@b.co","displayName":"Jos\u00e9 M\u00fcller","invitation":{"message":"Hello,\n\n\tWelcome \"aboard\" \/ é"}}`,
		`{"key":"a@b.co","number":3,"cycle":-2,"requestId":"r"}`,
	} {
		if !jsonClean([]byte(d), pa) && !jsonClean([]byte(d), reflect.TypeFor[ReminderData]()) {
			t.Errorf("%s is not proved clean", d)
		}
	}
}

// FuzzJSONClean: for any bytes, the fast path never calls clean what the
// walker finds a problem in, and HasJSONMember agrees with a map.
// `go test -fuzz FuzzJSONClean ./workflow` explores more.
func FuzzJSONClean(f *testing.F) {
	for _, d := range corpusDocs(f) {
		f.Add(d)
	}
	for _, d := range oracleDocs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, typ := range oracleTypes {
			agreeWithWalker(t, doc, typ)
		}
		var m map[string]json.RawMessage
		decoded := json.Unmarshal(doc, &m) == nil
		if _, want := m["data"]; HasJSONMember(doc, "data") != (decoded && want) {
			t.Fatalf("HasJSONMember(%q, data) = %v, map has it: %v", doc, !(decoded && want), decoded && want)
		}
	})
}
