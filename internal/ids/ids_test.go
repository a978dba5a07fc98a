package ids

import "testing"

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"3fa85f64-5717-4562-b3fc-2c963f66afa6":  true,
		"3FA85F64-5717-4562-B3FC-2C963F66AFA6":  true,
		"3fa85f64-5717-4562-b3fc-2c963f66afa":   false,
		"3fa85f64-5717-4562-b3fc-2c963f66afa6a": false,
		"3fa85f6405717-4562-b3fc-2c963f66afa6":  false,
		"3fa85f64-5717-4562-b3fc_2c963f66afa6":  false,
		"gfa85f64-5717-4562-b3fc-2c963f66afa6":  false,
		"":                                      false,
	} {
		if got := IsUUID(s); got != want {
			t.Errorf("IsUUID(%q) = %v, want %v", s, got, want)
		}
	}
}
