// Package logx writes timestamped log lines to stderr (the systemd journal captures them).
package logx

import (
	"fmt"
	"os"
	"time"
)

// Printf writes one line: an RFC 3339 UTC timestamp, the program name and the message.
func Printf(program, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s: %s\n", time.Now().UTC().Format(time.RFC3339Nano), program, fmt.Sprintf(format, args...))
}
