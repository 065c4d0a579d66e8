package store

import (
	"encoding/json"
	"testing"
)

// FuzzASCIIJSON: the ASCII-only form of any JSON string decodes to the
// same value and has no byte above 127.
func FuzzASCIIJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "ü", "日本語", "😀", "a\"b\\c", "<&>", "\u2028", "\xff", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		a := asciiJSON(b)
		for _, c := range a {
			if c > 127 {
				t.Fatalf("asciiJSON(%q) = %q has byte %#x", b, a, c)
			}
		}
		var want, got string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(a, &got); err != nil || got != want {
			t.Fatalf("asciiJSON(%q) = %q decodes to %q, %v; want %q", b, a, got, err, want)
		}
	})
}

func TestChunks(t *testing.T) {
	cases := []struct{ n, parts, last int }{
		{0, 1, 0}, {1, 1, 1}, {chunkBytes, 1, chunkBytes}, {chunkBytes + 1, 2, 1}, {MaxJSONBytes, maxChunks, chunkBytes},
	}
	for _, c := range cases {
		p := chunks(string(make([]byte, c.n)))
		if len(p) != c.parts || len(p[len(p)-1]) != c.last {
			t.Errorf("chunks(%d bytes) = %d parts, last %d; want %d, %d", c.n, len(p), len(p[len(p)-1]), c.parts, c.last)
		}
	}
}
