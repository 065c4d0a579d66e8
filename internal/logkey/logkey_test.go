package logkey_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every key is lowerCamelCase and names one thing.
func TestKeysAreLowerCamelCaseAndUnique(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "logkey.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z]*$`)
	seen := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				if !camel.MatchString(v) {
					t.Errorf("%s = %q is not lowerCamelCase", name.Name, v)
				}
				if other, dup := seen[v]; dup {
					t.Errorf("%s and %s are both %q", other, name.Name, v)
				}
				seen[v] = name.Name
			}
		}
	}
	if len(seen) < 10 {
		t.Fatalf("found only %d keys in logkey.go", len(seen))
	}
}

// loggerMethods are the slog.Logger methods whose variadic arguments are
// key-value pairs, with the number of arguments before them.
var loggerMethods = map[string]int{
	"Debug": 1, "Info": 1, "Warn": 1, "Error": 1,
	"DebugContext": 2, "InfoContext": 2, "WarnContext": 2, "ErrorContext": 2,
	"Log": 3, "With": 0,
}

// The packages that share the vocabulary name their log keys with these
// constants, never with string literals (which is how `message_id` and
// `messageId` came to differ).
func TestPackagesUseTheConstants(t *testing.T) {
	for _, dir := range []string{"workflow", "handlers", "graph", "store", "servicebus", "config", "cmd/onboard", "internal/app", "internal/devrun", "internal/ops", "internal/localqueue", "internal/logging", "internal/doctor"} {
		root := filepath.Join("..", "..", dir)
		err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			for _, lit := range literalKeys(f) {
				t.Errorf("%s: log key %s is a string literal; use a logkey constant", fset.Position(lit.Pos()), lit.Value)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// literalKeys returns the string literals f passes as slog keys: in the
// key positions of logger calls, and as the key of slog.String, slog.Int
// and the other attribute constructors.
func literalKeys(f *ast.File) []*ast.BasicLit {
	pkgs := map[string]bool{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		pkgs[name] = true
	}
	var out []*ast.BasicLit
	ast.Inspect(f, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		var keys []ast.Expr
		x, isIdent := sel.X.(*ast.Ident)
		switch {
		case isIdent && x.Name == "slog" && loggerMethods[sel.Sel.Name] == 0 && sel.Sel.Name != "With":
			if !strings.HasPrefix(sel.Sel.Name, "New") && len(c.Args) > 0 {
				keys = c.Args[:1] // slog.String(key, v), slog.Int(key, v), ...
			}
		case isIdent && pkgs[x.Name] && x.Name != "slog":
			// a package function such as http.Error, not a logger
		default:
			skip, ok := loggerMethods[sel.Sel.Name]
			if !ok || len(c.Args) <= skip {
				return true
			}
			for i := skip; i < len(c.Args); i += 2 {
				keys = append(keys, c.Args[i])
			}
		}
		for _, k := range keys {
			if lit, ok := k.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				out = append(out, lit)
			}
		}
		return true
	})
	return out
}
