package graphsim

import (
	"fmt"
	"strings"
	"unicode"
)

// filterExpr is a parsed OData $filter over one entity, seen through a
// property getter. Supported: eq, ne, in, and, or, not, parentheses,
// startsWith(p,'x'), endsWith(p,'x'), and collection/any(x:x eq 'v') (also
// with startsWith). String comparisons are case-insensitive, as in the
// directory.
type filterExpr interface {
	eval(get getter) bool
}

// getter returns a property value by name (case-insensitive) and whether
// the property exists on the entity type.
type getter func(name string) (any, bool)

type filterSyntax struct {
	expr filterExpr
	// advanced is set when the filter needs ConsistencyLevel: eventual
	// and $count=true (ne, not, endsWith) per Graph's advanced queries.
	advanced bool
	props    []string // properties referenced
}

type tok struct {
	kind byte // 'i' identifier, 's' string, '(' ')' ',' ':'
	text string
}

func tokenize(s string) ([]tok, error) {
	var out []tok
	rs := []rune(s)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == ',' || c == ':':
			out = append(out, tok{kind: byte(c), text: string(c)})
			i++
		case c == '\'':
			var b strings.Builder
			i++
			closed := false
			for i < len(rs) {
				if rs[i] == '\'' {
					if i+1 < len(rs) && rs[i+1] == '\'' { // '' escapes '
						b.WriteRune('\'')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string literal")
			}
			out = append(out, tok{kind: 's', text: b.String()})
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '/' || c == '.' || c == '@' || c == '-' || c == '$':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || strings.ContainsRune("_/.@-$", rs[j])) {
				j++
			}
			out = append(out, tok{kind: 'i', text: string(rs[i:j])})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character '%c'", c)
		}
	}
	return out, nil
}

type parser struct {
	toks []tok
	pos  int
	fs   *filterSyntax
	// lambdaVar is the variable of the any() being parsed ("" outside);
	// lambdaSubs collects the references to it (x, x/issuer, ...).
	lambdaVar  string
	lambdaSubs []string
}

// isLambdaRef reports whether name refers to the current lambda variable:
// the variable itself or one of its properties (x/issuer).
func (p *parser) isLambdaRef(name string) bool {
	v := p.lambdaVar
	return v != "" && (name == v || strings.HasPrefix(name, v+"/"))
}

// lambda parses "(x: <filter>)" after collection/any: the filter may
// compare x itself (otherMails/any(m:m eq 'a')) or its properties joined
// with and/or (identities/any(c:c/issuerAssignedId eq 'a' and c/issuer eq
// 't')). Graph requires both issuerAssignedId and issuer in a filter on
// identities (objectIdentity, "Filtering"), and so does graphsim.
func (p *parser) lambda(prop string) (filterExpr, error) {
	if p.lambdaVar != "" {
		return nil, fmt.Errorf("nested lambda on '%s' is not supported", prop)
	}
	p.fs.props = append(p.fs.props, prop)
	if _, err := p.expect('('); err != nil {
		return nil, err
	}
	v, err := p.expect('i')
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(':'); err != nil {
		return nil, err
	}
	p.lambdaVar, p.lambdaSubs = v.text, nil
	body, err := p.or()
	subs := p.lambdaSubs
	p.lambdaVar, p.lambdaSubs = "", nil
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("lambda variable '%s' is not used", v.text)
	}
	if strings.EqualFold(prop, "identities") {
		has := func(sub string) bool {
			for _, s := range subs {
				if strings.EqualFold(s, v.text+"/"+sub) {
					return true
				}
			}
			return false
		}
		if !has("issuerAssignedId") || !has("issuer") {
			return nil, fmt.Errorf("a filter on identities must compare both issuerAssignedId and issuer")
		}
	}
	if _, err := p.expect(')'); err != nil {
		return nil, err
	}
	return anyExpr{prop: prop, v: v.text, body: body}, nil
}

func parseFilter(s string) (*filterSyntax, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	fs := &filterSyntax{}
	p := &parser{toks: toks, fs: fs}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected '%s'", p.toks[p.pos].text)
	}
	fs.expr = e
	return fs, nil
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'i' && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *parser) expect(kind byte) (tok, error) {
	if p.pos >= len(p.toks) {
		return tok{}, fmt.Errorf("unexpected end of filter, expected '%c'", kind)
	}
	t := p.toks[p.pos]
	if t.kind != kind {
		return tok{}, fmt.Errorf("unexpected '%s'", t.text)
	}
	p.pos++
	return t, nil
}

type orExpr []filterExpr
type andExpr []filterExpr
type notExpr struct{ e filterExpr }

func (o orExpr) eval(g getter) bool {
	for _, e := range o {
		if e.eval(g) {
			return true
		}
	}
	return false
}

func (a andExpr) eval(g getter) bool {
	for _, e := range a {
		if !e.eval(g) {
			return false
		}
	}
	return true
}

func (n notExpr) eval(g getter) bool { return !n.e.eval(g) }

func (p *parser) or() (filterExpr, error) {
	var list orExpr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.peekWord("or") {
			break
		}
		p.pos++
	}
	if len(list) == 1 {
		return list[0], nil
	}
	return list, nil
}

func (p *parser) and() (filterExpr, error) {
	var list andExpr
	for {
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.peekWord("and") {
			break
		}
		p.pos++
	}
	if len(list) == 1 {
		return list[0], nil
	}
	return list, nil
}

func (p *parser) unary() (filterExpr, error) {
	if p.peekWord("not") {
		p.pos++
		p.fs.advanced = true
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	return p.primary()
}

// cmp compares a property (or the lambda variable) with literal values.
type cmp struct {
	prop   string
	op     string // eq ne in startswith endswith
	values []any
}

// anyExpr is collection/any(v: body): true when body holds for an item,
// body seeing the item as v and its properties as v/name.
type anyExpr struct {
	prop string
	v    string
	body filterExpr
}

func (p *parser) literal() (any, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("unexpected end of filter, expected a value")
	}
	t := p.toks[p.pos]
	p.pos++
	switch {
	case t.kind == 's':
		return t.text, nil
	case t.kind == 'i' && strings.EqualFold(t.text, "true"):
		return true, nil
	case t.kind == 'i' && strings.EqualFold(t.text, "false"):
		return false, nil
	case t.kind == 'i' && strings.EqualFold(t.text, "null"):
		return nil, nil
	case t.kind == 'i':
		// unquoted GUIDs and numbers are compared as text
		return t.text, nil
	}
	return nil, fmt.Errorf("unexpected '%s', expected a value", t.text)
}

func (p *parser) primary() (filterExpr, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("unexpected end of filter")
	}
	t := p.toks[p.pos]
	if t.kind == '(' {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(')'); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind != 'i' {
		return nil, fmt.Errorf("unexpected '%s'", t.text)
	}
	p.pos++
	name := t.text
	// function call: startsWith(prop,'x') / endsWith(prop,'x')
	if fn := strings.ToLower(name); (fn == "startswith" || fn == "endswith") && p.pos < len(p.toks) && p.toks[p.pos].kind == '(' {
		return p.function(fn)
	}
	// lambda: prop/any(x: <filter on x or x/sub>)
	if i := strings.LastIndex(name, "/"); i > 0 && strings.EqualFold(name[i+1:], "any") {
		return p.lambda(name[:i])
	}
	if p.isLambdaRef(name) {
		p.lambdaSubs = append(p.lambdaSubs, name)
		return p.comparison(name)
	}
	p.fs.props = append(p.fs.props, name)
	return p.comparison(name)
}

func (p *parser) function(fn string) (filterExpr, error) {
	if _, err := p.expect('('); err != nil {
		return nil, err
	}
	arg, err := p.expect('i')
	if err != nil {
		return nil, err
	}
	if p.isLambdaRef(arg.text) {
		p.lambdaSubs = append(p.lambdaSubs, arg.text)
	} else {
		p.fs.props = append(p.fs.props, arg.text)
	}
	if _, err := p.expect(','); err != nil {
		return nil, err
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(')'); err != nil {
		return nil, err
	}
	if fn == "endswith" {
		p.fs.advanced = true
	}
	return cmp{prop: arg.text, op: fn, values: []any{v}}, nil
}

func (p *parser) comparison(prop string) (cmp, error) {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != 'i' {
		return cmp{}, fmt.Errorf("expected an operator after '%s'", prop)
	}
	op := strings.ToLower(p.toks[p.pos].text)
	p.pos++
	switch op {
	case "eq", "ne":
		if op == "ne" {
			p.fs.advanced = true
		}
		v, err := p.literal()
		if err != nil {
			return cmp{}, err
		}
		return cmp{prop: prop, op: op, values: []any{v}}, nil
	case "in":
		if _, err := p.expect('('); err != nil {
			return cmp{}, err
		}
		var vals []any
		for {
			v, err := p.literal()
			if err != nil {
				return cmp{}, err
			}
			vals = append(vals, v)
			if p.pos < len(p.toks) && p.toks[p.pos].kind == ',' {
				p.pos++
				continue
			}
			break
		}
		if _, err := p.expect(')'); err != nil {
			return cmp{}, err
		}
		return cmp{prop: prop, op: op, values: vals}, nil
	}
	return cmp{}, fmt.Errorf("operator '%s' is not supported", op)
}

func valueEqual(a, b any) bool {
	_, wildA := a.(anyIssuer)
	_, wildB := b.(anyIssuer)
	if wildA || wildB {
		return true
	}
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs)
	}
	return a == b
}

func (c cmp) test(v any) bool {
	switch c.op {
	case "eq":
		return valueEqual(v, c.values[0])
	case "ne":
		return !valueEqual(v, c.values[0])
	case "in":
		for _, w := range c.values {
			if valueEqual(v, w) {
				return true
			}
		}
		return false
	case "startswith", "endswith":
		s, ok := v.(string)
		w, ok2 := c.values[0].(string)
		if !ok || !ok2 {
			return false
		}
		if c.op == "startswith" {
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(w))
		}
		return strings.HasSuffix(strings.ToLower(s), strings.ToLower(w))
	}
	return false
}

func (c cmp) eval(g getter) bool {
	v, _ := g(c.prop)
	return c.test(v)
}

func (a anyExpr) eval(g getter) bool {
	v, _ := g(a.prop)
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []string:
		for _, it := range l {
			items = append(items, it)
		}
	}
	for _, it := range items {
		get := a.itemGetter(it)
		if strings.EqualFold(a.prop, "identities") {
			var ok bool
			if get, ok = a.identityGetter(it, get); !ok {
				continue
			}
		}
		if a.body.eval(get) {
			return true
		}
	}
	return false
}

// anyIssuer stands for an identity's issuer where Graph ignores the
// issuer a filter names: it equals every value.
type anyIssuer struct{}

// identityGetter applies Graph's rules for filtering on identities
// (objectIdentity, "Filtering"): entries of signInType emailAddress (or a
// custom type starting with it) and userName need an issuer in the
// filter "but the issuer value is ignored. This is by design"; entries
// of signInType userPrincipalName cannot be filtered on (ok is false:
// the entry never matches; filter on userPrincipalName instead); any
// other entry (federated) is compared as it is.
func (a anyExpr) identityGetter(it any, get getter) (_ getter, ok bool) {
	m, _ := it.(map[string]any)
	signIn, _ := m["signInType"].(string)
	switch {
	case strings.EqualFold(signIn, "userPrincipalName"):
		return nil, false
	case len(signIn) >= len("emailAddress") && strings.EqualFold(signIn[:len("emailAddress")], "emailAddress"),
		strings.EqualFold(signIn, "userName"):
		return func(name string) (any, bool) {
			if sub, ok := strings.CutPrefix(name, a.v+"/"); ok && strings.EqualFold(sub, "issuer") {
				return anyIssuer{}, true
			}
			return get(name)
		}, true
	}
	return get, true
}

// itemGetter resolves the lambda variable to the item and v/name to the
// item's property (case-insensitive).
func (a anyExpr) itemGetter(it any) getter {
	return func(name string) (any, bool) {
		if name == a.v {
			return it, true
		}
		sub, ok := strings.CutPrefix(name, a.v+"/")
		m, isMap := it.(map[string]any)
		if !ok || !isMap {
			return nil, false
		}
		for k, val := range m {
			if strings.EqualFold(k, sub) {
				return val, true
			}
		}
		return nil, false
	}
}
