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
	// Err is the error the message came from, where one did (a rules
	// file's, a capture's, an object's): errors.As finds its type.
	Err error
}

// fieldErr makes a FieldError from strings, Refs and errors (said by
// their text; the last is kept as Err).
func fieldErr(field string, parts ...any) *FieldError {
	e := &FieldError{Field: field, Parts: parts}
	for _, p := range parts {
		if err, ok := p.(error); ok {
			e.Err = err
		}
	}
	return e
}

// fieldCause makes a FieldError of err, which it keeps.
func fieldCause(field string, err error) *FieldError { return fieldErr(field, err) }

// Unwrap is the error the message came from, or nil.
func (e *FieldError) Unwrap() error { return e.Err }

// Message is the message with every Ref spelled by spell.
func (e *FieldError) Message(spell func(path string) string) string {
	var b strings.Builder
	for _, p := range e.Parts {
		switch x := p.(type) {
		case Ref:
			b.WriteString(spell(string(x)))
		case string:
			b.WriteString(x)
		case error:
			b.WriteString(x.Error())
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

// Unwrap lists the mistakes, so that errors.Is and errors.As reach the
// error each came from.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
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
