// Package objconfig applies what a user gives for their own object to its
// collection spec before anything is loaded: sizes for the maps its loader
// would size (--map-size, by name or for every one, to a number or to the
// possible CPUs), values for its global variables and the members of
// struct ones (--set), and map contents from a JSON or YAML file
// (--map-init), every key and value typed by the maps' BTF, inner maps of
// maps of maps made from the ELF's template.
//
// Reading and encoding need no privileges; only MapInit.Apply, which puts
// the entries into loaded maps (and creates inner maps), needs CAP_BPF.
// Every error names the object or file, the map or variable, the entry and
// the field, and says what it takes.
package objconfig
