//go:build !unix

package features

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
