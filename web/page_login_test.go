package web

import "testing"

// TestLocalPath checks that only paths on this server are accepted as the
// place to go after logging in.
func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/annotate?document=2", "/annotate?document=2"},
		{"/admin/users", "/admin/users"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r\nSet-Cookie: x=1", "/"},
		{"javascript:alert(1)", "/"},
	}
	for _, tc := range tests {
		if got := localPath(tc.in); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
