package config

import "strings"

// envPrefix starts every variable syncgate reads.
const envPrefix = "SYNCGATE_"

// otherVars are SYNCGATE_* variables read outside Load: not settings of the
// gateway, but known.
var otherVars = []string{
	"SYNCGATE_DEMO_DIR", // syncgate demo and syncgate token: the demo's folder
}

// UnknownVar is a SYNCGATE_* variable that syncgate does not read, with the
// known variable closest to it (most likely what was meant).
type UnknownVar struct {
	Name    string
	Closest string
}

func (u UnknownVar) String() string {
	return u.Name + " is not a syncgate variable (did you mean " + u.Closest + "?)"
}

// Unknown returns, in the order given, the SYNCGATE_* names among environ
// (entries of the form NAME=value, as os.Environ returns them) that syncgate
// does not read: a typo such as SYNCGATE_VEEAM_USER for
// SYNCGATE_VEEAM_USERNAME must not pass silently.
func Unknown(environ []string) []UnknownVar {
	known := map[string]bool{}
	var names []string
	for _, v := range Vars() {
		known[v.Name] = true
		names = append(names, v.Name)
	}
	for _, n := range otherVars {
		known[n] = true
		names = append(names, n)
	}
	var out []UnknownVar
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, envPrefix) || known[name] {
			continue
		}
		out = append(out, UnknownVar{Name: name, Closest: closest(name, names)})
	}
	return out
}

// closest returns the candidate nearest to name: one that extends name or
// that name extends (a name cut short, a suffix added) before any other,
// then the smallest edit distance.
func closest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(name, c)
		if !strings.HasPrefix(c, name) && !strings.HasPrefix(name, c) {
			d += 1000
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes: the
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
