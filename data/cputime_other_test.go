//go:build !unix

package data

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
