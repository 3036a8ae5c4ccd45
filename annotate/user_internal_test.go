package annotate

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestAuthenticateAlwaysHashes checks that every login, whether the account
// exists, has a password or is disabled, runs exactly one bcrypt
// comparison at the cost real passwords have, so that the time a login
// takes does not tell which accounts exist.
func TestAuthenticateAlwaysHashes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateUser(ctx, 0, "alice", RoleAnnotator, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, 0, "imported", RoleAnnotator, ""); err != nil {
		t.Fatal(err)
	}
	gone, err := s.CreateUser(ctx, 0, "gone", RoleAnnotator, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("UPDATE users SET disabled_at = ? WHERE id = ?", s.now(), gone.ID).Error; err != nil {
		t.Fatal(err)
	}
	cost, err := bcrypt.Cost([]byte(dummyHash))
	if err != nil || cost != bcrypt.DefaultCost {
		t.Errorf("dummy hash cost = %d %v, want %d, the cost of real passwords", cost, err, bcrypt.DefaultCost)
	}

	var calls int
	var hashes []string
	compareHash = func(hash, password []byte) error {
		calls++
		hashes = append(hashes, string(hash))
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	defer func() { compareHash = bcrypt.CompareHashAndPassword }()
	tests := []struct {
		name, password string
		ok, dummy      bool
	}{
		{"alice", "correct horse battery", true, false},
		{"alice", "wrong password!", false, false},
		{"nobody", "correct horse battery", false, true},
		{"imported", "", false, true},
		{"imported", "correct horse battery", false, true},
		{"gone", "correct horse battery", false, true},
	}
	for _, tc := range tests {
		calls, hashes = 0, nil
		_, err := s.Authenticate(ctx, tc.name, tc.password)
		if ok := err == nil; ok != tc.ok {
			t.Errorf("Authenticate(%s): %v, want success %v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Authenticate(%s): %v, want EUNAUTHORIZED", tc.name, err)
		}
		if calls != 1 {
			t.Errorf("Authenticate(%s, %q) compared %d hashes, want exactly 1", tc.name, tc.password, calls)
			continue
		}
		if usedDummy := hashes[0] == dummyHash; usedDummy != tc.dummy {
			t.Errorf("Authenticate(%s): compared against the dummy hash: %v, want %v", tc.name, usedDummy, tc.dummy)
		}
	}
}
