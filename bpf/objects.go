package bpf

import (
	"fmt"
	"reflect"

	"github.com/cilium/ebpf"
)

// view fills a struct bpf2go generated for an object (its Maps, Programs
// or Variables, found by their ebpf tags) from a loaded collection, which
// stays their owner: xdplab reaches its own objects through these typed
// fields, never by a name in a string, so a renamed map fails to compile,
// not at run time. An object the collection does not hold (a program left
// out of the load) stays nil.
func view(coll *ebpf.Collection, to any) error {
	v := reflect.ValueOf(to)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("view: %T is not a pointer to a struct", to)
	}
	return fill(coll, v.Elem())
}

func fill(coll *ebpf.Collection, s reflect.Value) error {
	t := s.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), s.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if err := fill(coll, fv); err != nil {
				return err
			}
			continue
		}
		name := f.Tag.Get("ebpf")
		if name == "" {
			continue
		}
		switch f.Type {
		case reflect.TypeFor[*ebpf.Map]():
			if m := coll.Maps[name]; m != nil {
				fv.Set(reflect.ValueOf(m))
			}
		case reflect.TypeFor[*ebpf.Program]():
			if p := coll.Programs[name]; p != nil {
				fv.Set(reflect.ValueOf(p))
			}
		case reflect.TypeFor[*ebpf.Variable]():
			if x := coll.Variables[name]; x != nil {
				fv.Set(reflect.ValueOf(x))
			}
		default:
			return fmt.Errorf("view: field %s has type %s", f.Name, f.Type)
		}
	}
	return nil
}

// specs fills a bpf2go Specs struct from an object's CollectionSpec, to
// change its maps and variables before loading through typed fields.
func specs(cs *ebpf.CollectionSpec, to any) error {
	if err := cs.Assign(to); err != nil {
		return fmt.Errorf("embedded object: %w", err)
	}
	return nil
}

// setting is a value for a variable of an object's spec.
type setting struct {
	v   *ebpf.VariableSpec
	val any
}

// set sets each variable, naming the first that refuses its value.
func set(settings ...setting) error {
	for _, s := range settings {
		if s.v == nil {
			return fmt.Errorf("set %v: the object has no such variable", s.val)
		}
		if err := s.v.Set(s.val); err != nil {
			return fmt.Errorf("set %s: %w", s.v.Name, err)
		}
	}
	return nil
}
