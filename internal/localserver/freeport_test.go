package localserver

import "testing"

func TestFreePortNeverRepeatsAndAvoidsEphemeralRange(t *testing.T) {
	seen := make(map[int]bool)
	for range 500 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if port < 10000 || port >= 32768 {
			t.Fatalf("port %d is outside 10000–32767", port)
		}
		if seen[port] {
			t.Fatalf("port %d handed out twice", port)
		}
		seen[port] = true
	}
}
