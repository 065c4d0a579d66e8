package deploytest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/b2b-onboarding/onboard/config"
)

// ConfigHeading is the README heading under which the settings table must
// appear (the configuration check looks for it).
const ConfigHeading = "## Configuration"

// TableRow is one row of the README settings table.
type TableRow struct {
	Line    int // 1-based line in the README
	Name    string
	Default string
	Doc     string
}

// SettingsTable renders settings as the markdown table the README carries
// under ConfigHeading:
//
//	| Setting | Default | Description |
//	|---|---|---|
//	| `NAME` | `default` | doc |
//
// Names and defaults are in backticks (names like
// ServiceBusConnection__clientId would otherwise render in bold); an empty
// default leaves the cell empty; `|` in a doc is escaped.
func SettingsTable(settings []config.Setting) string {
	var b strings.Builder
	b.WriteString("| Setting | Default | Description |\n|---|---|---|\n")
	for _, s := range settings {
		def := ""
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, escapeCell(s.Doc))
	}
	return b.String()
}

// ConfigTable finds the settings table under ConfigHeading in a README and
// returns its rows (header and separator rows excluded). found is false
// when the heading is missing.
func ConfigTable(readme string) (rows []TableRow, found bool) {
	lines := strings.Split(readme, "\n")
	in := false
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "## ") || t == "##" {
			if in {
				break // next section
			}
			in = strings.TrimSpace(t) == ConfigHeading
			found = found || in
			continue
		}
		if !in || !strings.HasPrefix(t, "|") {
			continue
		}
		cells := splitRow(t)
		if len(cells) < 3 || isSeparator(cells) || strings.EqualFold(cells[0], "Setting") {
			continue
		}
		rows = append(rows, TableRow{
			Line:    i + 1,
			Name:    strings.Trim(cells[0], "`"),
			Default: strings.Trim(cells[1], "`"),
			Doc:     cells[2],
		})
	}
	return rows, found
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

var reSeparator = regexp.MustCompile(`^:?-+:?$`)

func isSeparator(cells []string) bool {
	for _, c := range cells {
		if !reSeparator.MatchString(c) {
			return false
		}
	}
	return true
}

// splitRow splits a markdown table row into trimmed cells, honouring `\|`.
func splitRow(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}
