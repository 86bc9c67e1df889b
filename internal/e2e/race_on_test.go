//go:build race

package e2e

// raceEnabled: the race detector makes MTProto's crypto many times slower,
// too slow for the 2 GB transfers of TestFiles2GB.
const raceEnabled = true
