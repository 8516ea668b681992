package ids

import "testing"

func TestIsGUID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"62c4ab35-68fb-4a48-ae4d-8103635b9526", true},
		{"62C4AB35-68FB-4A48-AE4D-8103635B9526", true},
		{"", false},
		{"62c4ab35-68fb-4a48-ae4d-8103635b952", false},
		{"62c4ab35-68fb-4a48-ae4d-8103635b95266", false},
		{"62c4ab35x68fb-4a48-ae4d-8103635b9526", false},
		{"g2c4ab35-68fb-4a48-ae4d-8103635b9526", false},
		{"{62c4ab35-68fb-4a48-ae4d-8103635b952}", false},
		{"62c4ab3568fb4a48ae4d8103635b9526abcd", false},
	} {
		if got := IsGUID(tc.in); got != tc.want {
			t.Errorf("IsGUID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
