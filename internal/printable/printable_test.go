package printable

import "testing"

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Bluebird Outsourcing", "Bluebird Outsourcing"},
		{"Zoë Ångström 株式会社", "Zoë Ångström 株式会社"},
		{"Bo\n+ fake line", `Bo\n+ fake line`},
		{"red\x1b[31m", `red\x1b[31m`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"tab\there", `tab\there`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"real\ufffdchar", `real\ufffdchar`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, want := Safe(tt.in), tt.in == tt.want; got != want {
			t.Errorf("Safe(%q) = %v, want %v", tt.in, got, want)
		}
	}
}
