package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LocalSettingsFile is the file Azure Functions Core Tools reads app
// settings from when a function app runs locally; `dev`, `send`, `status`
// and `dlq` read its Values too, so one file configures every local run.
const LocalSettingsFile = "local.settings.json"

// ReadLocalSettings returns the Values of the local.settings.json at path;
// a missing file is no settings. Values are strings in Core Tools' format;
// numbers and booleans are accepted and turned into their JSON text, as
// .NET configuration does. An encrypted file (IsEncrypted: true) is refused
// because only Core Tools holds its key.
func ReadLocalSettings(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseLocalSettings(path, raw)
}

// ParseLocalSettings decodes a local.settings.json document; name is used
// in errors.
func ParseLocalSettings(name string, raw []byte) (map[string]string, error) {
	var doc struct {
		IsEncrypted bool                       `json:"IsEncrypted"`
		Values      map[string]json.RawMessage `json:"Values"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", name, err)
	}
	if doc.IsEncrypted {
		return nil, fmt.Errorf("%s: IsEncrypted is true; run `func settings decrypt` first (only Core Tools can read encrypted values)", name)
	}
	out := make(map[string]string, len(doc.Values))
	for k, v := range doc.Values {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
			out[k] = ""
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("%s: Values.%s: %w", name, k, err)
			}
			out[k] = s
		case v[0] == '{' || v[0] == '[':
			return nil, fmt.Errorf("%s: Values.%s: must be a string, number or boolean, not an object or array", name, k)
		default:
			out[k] = string(v)
		}
	}
	return out, nil
}

// Layered returns a settings lookup over several sources: the first source
// with a non-blank value wins. A blank value counts as unset, as it does
// for Load (local.settings.sample.json leaves settings "").
func Layered(sources ...Getenv) Getenv {
	return func(name string) (string, bool) {
		for _, get := range sources {
			if get == nil {
				continue
			}
			if v, ok := get(name); ok && strings.TrimSpace(v) != "" {
				return v, true
			}
		}
		return "", false
	}
}

// FromMap is a settings source backed by a map.
func FromMap(m map[string]string) Getenv {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

// UserSettings is what serve would see on this machine: the environment,
// over the Values of ./local.settings.json (the environment wins, as with
// Core Tools).
func UserSettings() (Getenv, map[string]string, error) {
	file, err := ReadLocalSettings(LocalSettingsFile)
	if err != nil {
		return nil, nil, err
	}
	return Layered(FromEnviron(), FromMap(file)), file, nil
}

// SettingsMap resolves every name in Settings (falling back to its
// default) and every name in extra through get, for consumers that need a map (the host emulator resolves
// %NAME% in function.json from it).
func SettingsMap(get Getenv, extra ...map[string]string) map[string]string {
	names := map[string]bool{}
	for _, s := range Settings {
		names[s.Name] = true
	}
	for _, m := range extra {
		for k := range m {
			names[k] = true
		}
	}
	out := map[string]string{}
	for n := range names {
		if v, ok := get(n); ok {
			out[n] = v
		} else if s, known := Lookup(n); known && s.Default != "" {
			out[n] = s.Default
		}
	}
	return out
}
