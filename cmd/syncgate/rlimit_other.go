//go:build !unix

package main

// openFileLimit is unknown off Unix.
func openFileLimit() (int, bool) { return 0, false }
