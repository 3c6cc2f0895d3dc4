//go:build race

package conformance

// raceEnabled reports whether the test binary was built with -race.
const raceEnabled = true
