package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLocalSettings(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      map[string]string
		wantErr   string
	}{
		{"strings, numbers, booleans and null", `{"IsEncrypted": false, "Values": {"A": "x", "N": 3, "B": true, "Z": null, "E": ""}}`,
			map[string]string{"A": "x", "N": "3", "B": "true", "Z": "", "E": ""}, ""},
		{"no Values", `{"Host": {"LocalHttpPort": 7072}}`, map[string]string{}, ""},
		{"encrypted", `{"IsEncrypted": true, "Values": {"A": "x"}}`, nil, "IsEncrypted is true"},
		{"object value", `{"Values": {"A": {"b": 1}}}`, nil, "Values.A: must be a string"},
		{"not JSON", `{"Values": `, nil, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLocalSettings("local.settings.json", []byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "local.settings.json") {
					t.Fatalf("err = %v, want one naming the file and containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestReadLocalSettingsMissingFileIsEmpty(t *testing.T) {
	got, err := ReadLocalSettings(filepath.Join(t.TempDir(), "local.settings.json"))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no settings and no error", got, err)
	}
}

func TestSettingsMapFillsConfigDefaults(t *testing.T) {
	m := SettingsMap(FromMap(map[string]string{"GRAPH_AUTH": "none"}), map[string]string{"CUSTOM": ""})
	if m["ONBOARDING_QUEUE"] != "onboarding" || m["GRAPH_AUTH"] != "none" {
		t.Errorf("ONBOARDING_QUEUE %q GRAPH_AUTH %q: want the config default and the given value", m["ONBOARDING_QUEUE"], m["GRAPH_AUTH"])
	}
	if _, ok := m["CUSTOM"]; ok {
		t.Error("a blank extra setting must stay unset (function.json %NAME% then names it)")
	}
}
