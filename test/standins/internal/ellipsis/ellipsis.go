// Package ellipsis expands MinIO's ellipsis notation "{1...4}" (kes-minio.md §4.1, §4.3).
package ellipsis

import (
	"fmt"
	"regexp"
	"strconv"
)

var pattern = regexp.MustCompile(`\{([0-9]+)\.\.\.([0-9]+)\}`)

// HasEllipsis reports whether s contains a "{a...b}" range.
func HasEllipsis(s string) bool { return pattern.MatchString(s) }

// Expand returns every string produced by the ranges in s, left-most range varying slowest.
// A start with a leading zero ("{01...16}") pads to its width [inferred from MinIO's
// documented "/data-{01...16}" style; only decimal ranges are supported by the stand-in].
func Expand(s string) ([]string, error) {
	loc := pattern.FindStringSubmatchIndex(s)
	if loc == nil {
		return []string{s}, nil
	}
	lo, hi := s[loc[2]:loc[3]], s[loc[4]:loc[5]]
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a > b {
		return nil, fmt.Errorf("invalid ellipsis range {%s...%s} in %q", lo, hi, s)
	}
	width := 0
	if len(lo) > 1 && lo[0] == '0' {
		width = len(lo)
	}
	rest, err := Expand(s[loc[1]:])
	if err != nil {
		return nil, err
	}
	var out []string
	for i := a; i <= b; i++ {
		for _, r := range rest {
			out = append(out, fmt.Sprintf("%s%0*d%s", s[:loc[0]], width, i, r))
		}
	}
	return out, nil
}
