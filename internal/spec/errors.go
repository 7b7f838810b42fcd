package spec

import (
	"errors"
	"strings"
)

// A Ref names another field inside a message.
type Ref string

// FieldError is a mistake in one field. Its message is text and Refs, so
// that a front end can spell the fields its own way.
type FieldError struct {
	Field string // the field's path, such as traffic.vlan
	Parts []any  // strings and Refs
}

// fieldErr makes a FieldError from strings and Refs.
func fieldErr(field string, parts ...any) *FieldError {
	return &FieldError{Field: field, Parts: parts}
}

// Message is the message with every Ref spelled by spell.
func (e *FieldError) Message(spell func(path string) string) string {
	var b strings.Builder
	for _, p := range e.Parts {
		switch x := p.(type) {
		case Ref:
			b.WriteString(spell(string(x)))
		case string:
			b.WriteString(x)
		}
	}
	return b.String()
}

// Text is "field: message" with every field spelled by spell.
func (e *FieldError) Text(spell func(path string) string) string {
	return spell(e.Field) + ": " + e.Message(spell)
}

// Error spells fields by their paths.
func (e *FieldError) Error() string { return e.Text(Path) }

// Path spells a field by its path.
func Path(p string) string { return p }

// Errors is every mistake Build or Validate found, in field order.
type Errors []*FieldError

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// err is nil when there is no mistake.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// FieldErrors lists the field errors in err (nil when it holds none).
func FieldErrors(err error) []*FieldError {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *FieldError
	if errors.As(err, &e) {
		return []*FieldError{e}
	}
	return nil
}
