//go:build race

package core

// raceEnabled reports a -race build, where tests that spin through many
// rounds run fewer of them.
const raceEnabled = true
