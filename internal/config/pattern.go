package config

import (
	"regexp"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsync/trustsync/internal/ids"
)

// The schema's patterns are checked once per id and role of every entry,
// and a regular expression is slow at that. compilePattern is the schema's
// regexp engine: the patterns handMatcher knows are matched by hand (the
// fuzz target FuzzPatterns checks that each agrees with its regular
// expression on every input), any other by package regexp.
const (
	uuidPattern    = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	trimmedPattern = `^\S(?:[\s\S]*\S)?$`
)

// handMatcher returns the hand-written matcher of expr, or nil.
func handMatcher(expr string) func(string) bool {
	switch expr {
	case uuidPattern:
		return ids.IsUUID
	case trimmedPattern:
		return isTrimmed
	}
	return nil
}

func compilePattern(expr string) (jsonschema.Regexp, error) {
	if match := handMatcher(expr); match != nil {
		return handPattern{expr: expr, match: match}, nil
	}
	return regexp.Compile(expr)
}

type handPattern struct {
	expr  string
	match func(string) bool
}

func (p handPattern) MatchString(s string) bool { return p.match(s) }
func (p handPattern) String() string            { return p.expr }

// isTrimmed reports whether s is not empty and neither starts nor ends
// with white space as \s means it (ASCII tab, newline, form feed, carriage
// return, space; any other byte, including those of multi-byte and invalid
// UTF-8, is \S).
func isTrimmed(s string) bool {
	isSpace := func(c byte) bool { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ' }
	return s != "" && !isSpace(s[0]) && !isSpace(s[len(s)-1])
}
