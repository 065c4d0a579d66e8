package ops

import (
	"io"
	"strings"
	"unicode/utf8"
)

// table is a plain terminal table: a header row, then one row per item,
// columns padded to the widest cell and separated by two spaces. A column
// with a positive max width has longer cells cut with "…"; the last column
// is never padded.
type table struct {
	header []string
	max    []int // per column; 0 = unlimited
	rows   [][]string
}

// add appends a row; missing cells are empty, extra cells are dropped.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.header))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// write renders the table.
func (t *table) write(w io.Writer) error {
	all := append([][]string{t.header}, t.rows...)
	width := make([]int, len(t.header))
	cells := make([][]string, len(all))
	for r, row := range all {
		cells[r] = make([]string, len(t.header))
		for c := range t.header {
			s := strings.Join(strings.Fields(row[c]), " ") // one line per row
			if c < len(t.max) && t.max[c] > 0 {
				s = cut(s, t.max[c])
			}
			cells[r][c] = s
			width[c] = max(width[c], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		var line strings.Builder
		for c, s := range row {
			if c > 0 {
				line.WriteString("  ")
			}
			line.WriteString(s)
			if c < len(row)-1 {
				line.WriteString(strings.Repeat(" ", width[c]-utf8.RuneCountInString(s)))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cut shortens s to at most n runes, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
