//go:build !unix

package tbptt

import "time"

func cpuTime() time.Duration { return 0 }
