package main

// colorOff reports whether colour is turned off: by --no-color, by
// NO_COLOR set to anything (https://no-color.org), or by TERM=dumb.
// Colour is otherwise used only when stdout is a terminal.
func colorOff(noColorFlag bool, getenv func(string) string) bool {
	if noColorFlag {
		return true
	}
	if getenv == nil {
		return false
	}
	return getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
}

// withNoColor returns getenv with NO_COLOR set, so every command that
// checks NO_COLOR before colouring leaves colour off.
func withNoColor(getenv func(string) string) func(string) string {
	return func(key string) string {
		if key == "NO_COLOR" {
			return "1"
		}
		if getenv == nil {
			return ""
		}
		return getenv(key)
	}
}
