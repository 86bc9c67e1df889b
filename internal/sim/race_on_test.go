//go:build race

package sim

// raceEnabled slows bounds on wall-clock times: the race detector makes
// decoding several times slower.
const raceEnabled = true
