package devhost

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNetStringEscaping(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"<a href='x'>&</a>", `"<a href='x'>&</a>"`}, // Newtonsoft does not escape HTML characters
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"\u0085\u2028\u2029", `"\u0085\u2028\u2029"`},
		{"é🚀/", `"é🚀/"`},
	}
	for _, tc := range cases {
		got := string(appendNetString(nil, tc.in))
		if got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != tc.in {
			t.Errorf("%q: does not round-trip: %q %v", tc.in, back, err)
		}
	}
}

func TestNetUTF8ReplacesMaximalSubparts(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte("ok"), "ok"},
		{[]byte{'a', 0xff, 'b'}, "a\uFFFDb"},
		{[]byte{0xe2, 0x82}, "\uFFFD"},                   // truncated 3-byte sequence: one replacement
		{[]byte{0xe2, 0x82, 'x'}, "\uFFFDx"},             // ditto, followed by ASCII
		{[]byte{0xf0, 0x9f, 0x9a}, "\uFFFD"},             // truncated 4-byte
		{[]byte{0xed, 0xa0, 0x80}, "\uFFFD\uFFFD\uFFFD"}, // surrogate: each byte
		{[]byte{0xc0, 0xaf}, "\uFFFD\uFFFD"},             // overlong
	}
	for _, tc := range cases {
		if got := netUTF8(tc.in); got != tc.want {
			t.Errorf("% x: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNetTimesAndNumbers(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 34, 56, 987654321, time.FixedZone("x", 2*3600))
	for got, want := range map[string]string{
		netDateTime(ts):                           "2024-05-01T10:34:56",
		netDateTimeOffset(ts):                     "2024-05-01T10:34:56+00:00",
		netDateTime(time.Time{}):                  "9999-12-31T23:59:59",
		netDateTimeOffset(time.Time{}):            "9999-12-31T23:59:59+00:00",
		netRoundtripUTC(ts):                       "2024-05-01T10:34:56.9876543Z",
		netRoundtripUTC(ts.Truncate(time.Second)): "2024-05-01T10:34:56Z",
		netRoundtripUTC(time.Date(2024, 1, 1, 0, 0, 0, 120000000, time.UTC)): "2024-01-01T00:00:00.12Z",
		netDouble(1):        "1.0",
		netDouble(2.5):      "2.5",
		netDouble(-0.1):     "-0.1",
		netDouble(1e20):     "1E+20",
		netDouble(1.5e-7):   "1.5E-07",
		netDouble(123456.0): "123456.0",
		netDouble(0):        "0.0",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
