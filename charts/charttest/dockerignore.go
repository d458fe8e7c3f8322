package charttest

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// Ignore is a parsed .dockerignore: root-relative patterns in Go's
// path.Match syntax, as the Docker builder reads them. A pattern that
// matches a directory excludes everything under it. Exceptions ("!…") and
// "**" are refused: our file does not need them and this matcher would get
// them wrong.
type Ignore []string

// ParseIgnore reads a .dockerignore.
func ParseIgnore(r io.Reader) (Ignore, error) {
	var ig Ignore
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		if strings.HasPrefix(p, "!") || strings.Contains(p, "**") {
			return nil, fmt.Errorf(".dockerignore: %q: exceptions and ** are not supported here", p)
		}
		p = path.Clean(strings.TrimPrefix(p, "/"))
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf(".dockerignore: %q: %w", p, err)
		}
		ig = append(ig, p)
	}
	return ig, sc.Err()
}

// Excluded says whether a slash-separated path relative to the build
// context stays out of it.
func (ig Ignore) Excluded(rel string) bool {
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		for _, pat := range ig {
			if ok, _ := path.Match(pat, p); ok {
				return true
			}
		}
	}
	return false
}
