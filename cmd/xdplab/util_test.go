package main

import "golang.org/x/sys/unix"

func usable() []int {
	var set unix.CPUSet
	_ = unix.SchedGetaffinity(0, &set)
	var out []int
	for i := range 1024 {
		if set.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}
