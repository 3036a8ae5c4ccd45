package annotate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// MinPasswordLen is the shortest password Concord accepts.
const MinPasswordLen = 10

// SessionTTL is how long a browser session lasts without logging in again.
const SessionTTL = 14 * 24 * time.Hour

var userNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$`)

// NewSecret returns a random secret of n bytes, URL-safe base64 encoded.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret returns the hex SHA-256 of a token or session secret. Secrets
// are long and random, so a fast hash is enough; passwords use bcrypt.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CheckUserName reports whether name can be a user's name, and if not, why.
func CheckUserName(name string) error {
	if !userNameRe.MatchString(name) {
		return Invalidf("name", "user name %q must be 1–100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

func hashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return "", Invalidf("password", "password must be at least %d characters", MinPasswordLen)
	}
	if len(password) > 72 {
		return "", Invalidf("password", "password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// CreateUser adds a user. An empty password leaves the user unable to log in
// (as for annotators who came with imported labels) until one is set.
func (s *Store) CreateUser(ctx context.Context, by int64, name string, role Role, password string) (*User, error) {
	if err := CheckUserName(name); err != nil {
		return nil, err
	}
	if !role.Valid() {
		_, err := ParseRole(string(role))
		return nil, err
	}
	u := &User{Name: name, Role: role}
	if password != "" {
		h, err := hashPassword(password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: by, Entity: "user", EntityID: u.ID, Action: "create", After: toJSON(map[string]any{"name": name, "role": role})})
	})
	if errors.Is(err, ErrConflict) {
		return nil, &Error{Code: ECONFLICT, Field: "name", Message: "a user named " + name + " already exists"}
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// EnsureAdmin creates an admin named "admin" with a new random password when
// the database has no users yet, and returns the password; it returns "" when
// users exist. The password is shown once and never stored in clear.
func (s *Store) EnsureAdmin(ctx context.Context) (string, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return "", translate(err)
	}
	if n > 0 {
		return "", nil
	}
	password := NewSecret(12)
	if _, err := s.CreateUser(ctx, 0, "admin", RoleAdmin, password); err != nil {
		return "", err
	}
	return password, nil
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.read(ctx).First(&u, id).Error; err != nil {
		return nil, notFound(err, "no user with id %d", id)
	}
	return &u, nil
}

// UserByName returns the user with the given name.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	var u User
	if err := s.read(ctx).Where("name = ?", name).First(&u).Error; err != nil {
		return nil, notFound(err, "no user named %q", name)
	}
	return &u, nil
}

// UserPage is one page of users; Next is the cursor of the page after, 0
// on the last.
type UserPage struct {
	Users []User `json:"users"`
	Next  int64  `json:"next,omitempty"`
}

// Users returns every user, by name. Commands that list them all use it;
// pages and the API use UserPage.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	err := s.read(ctx).Order("name").Find(&out).Error
	return out, translate(err)
}

// UserPage returns one page of users in the order they were added, those
// whose name contains q.Search (ignoring case) when it is set.
func (s *Store) UserPage(ctx context.Context, q ListQuery) (*UserPage, error) {
	if err := checkList(&q.Limit, DefaultUserLimit, MaxUserLimit, q.After); err != nil {
		return nil, err
	}
	if err := CheckText("q", q.Search, false); err != nil {
		return nil, err
	}
	db := s.read(ctx).Model(&User{})
	if like := likeTerm(q.Search); like != "" {
		db = db.Where("lower(name) LIKE ? ESCAPE '\\'", like)
	}
	users, next, err := pageByID(db, "id", q.After, q.Limit, func(u *User) int64 { return u.ID })
	if err != nil {
		return nil, err
	}
	return &UserPage{Users: users, Next: next}, nil
}

// UserCount counts the users, disabled ones included.
func (s *Store) UserCount(ctx context.Context) (int64, error) {
	var n int64
	return n, translate(s.read(ctx).Model(&User{}).Count(&n).Error)
}

// UserNames maps the given user ids to their names; ids of removed users
// are left out.
func (s *Store) UserNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	users, err := findByIDs[User](s.read(ctx), ids, "")
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[int64]string, len(users))
	for _, u := range users {
		out[u.ID] = u.Name
	}
	return out, nil
}

// SetRole changes a user's role. The last admin cannot be demoted.
func (s *Store) SetRole(ctx context.Context, by, userID int64, role Role) error {
	if !role.Valid() {
		_, err := ParseRole(string(role))
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, userID).Error; err != nil {
			return notFound(err, "no user with id %d", userID)
		}
		if u.Role == RoleAdmin && role != RoleAdmin {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND disabled_at IS NULL", RoleAdmin).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return Invalidf("role", "%s is the last admin; make another user admin first", u.Name)
			}
		}
		if err := tx.Model(&u).Update("role", role).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: by, Entity: "user", EntityID: u.ID, Action: "set-role", Before: toJSON(map[string]any{"role": u.Role}), After: toJSON(map[string]any{"role": role})})
	})
}

// SetPassword sets a user's password and ends their browser sessions.
func (s *Store) SetPassword(ctx context.Context, by, userID int64, password string) error {
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Update("password_hash", h)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return NotFoundf("no user with id %d", userID)
		}
		if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: by, Entity: "user", EntityID: userID, Action: "set-password"})
	})
}

// Authenticate returns the user whose name and password match. Every failure
// returns the same EUNAUTHORIZED error, so a caller cannot tell a wrong name
// from a wrong password; and every failure takes as long as a wrong
// password does, so the time taken cannot tell either: an unknown user, a
// user without a password and a disabled one are checked against a dummy
// hash of the same cost.
func (s *Store) Authenticate(ctx context.Context, name, password string) (*User, error) {
	bad := &Error{Code: EUNAUTHORIZED, Message: "wrong user name or password"}
	u, err := s.UserByName(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err != nil || u.PasswordHash == "" || u.DisabledAt != nil {
		_ = compareHash([]byte(dummyHash), []byte(password))
		return nil, bad
	}
	if compareHash([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, bad
	}
	return u, nil
}

// compareHash is the password check every login makes, once; a variable so
// that a test can count that it ran on every path.
var compareHash = bcrypt.CompareHashAndPassword

// dummyHash is a bcrypt hash, at the cost hashPassword uses, of a password
// nobody has: logins that have no real hash to check are checked against
// it, so that they take as long as a real one.
const dummyHash = "$2a$10$B448u7cXd6PxBU75WnnCW.6SpGiY1bTR3IgVLrN9hIsSU54/Ml9cO"

// CreateToken makes an API token for a user and returns its secret, which is
// shown once: only its hash is stored.
func (s *Store) CreateToken(ctx context.Context, userID int64, name string) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", nil, Invalidf("name", "a token needs a name of 1–100 characters, such as the script that uses it")
	}
	if err := CheckText("name", name, false); err != nil {
		return "", nil, err
	}
	if _, err := s.User(ctx, userID); err != nil {
		return "", nil, err
	}
	secret := "cnc_" + NewSecret(24)
	t := &Token{UserID: userID, Name: name, Hash: hashSecret(secret)}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		return s.record(tx, Change{UserID: userID, Entity: "token", EntityID: t.ID, Action: "create", After: toJSON(map[string]any{"name": name})})
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// TokenPage is one page of a user's tokens; Next is the cursor of the page
// after, 0 on the last.
type TokenPage struct {
	Tokens []Token `json:"tokens"`
	Next   int64   `json:"next,omitempty"`
}

// Tokens returns one page of a user's tokens, revoked ones included, oldest
// first; q.Search is ignored.
func (s *Store) Tokens(ctx context.Context, userID int64, q ListQuery) (*TokenPage, error) {
	if err := checkList(&q.Limit, DefaultTokenLimit, MaxTokenLimit, q.After); err != nil {
		return nil, err
	}
	ts, next, err := pageByID(s.read(ctx).Where("user_id = ?", userID), "id", q.After, q.Limit, func(t *Token) int64 { return t.ID })
	if err != nil {
		return nil, err
	}
	return &TokenPage{Tokens: ts, Next: next}, nil
}

// RevokeToken revokes one token of a user for good.
func (s *Store) RevokeToken(ctx context.Context, by, userID, tokenID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&Token{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", tokenID, userID).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return NotFoundf("no active token %d for user %d", tokenID, userID)
		}
		return s.record(tx, Change{UserID: by, Entity: "token", EntityID: tokenID, Action: "revoke"})
	})
}

// UserByToken returns the user a bearer token belongs to, or EUNAUTHORIZED.
// Every API call from a script makes it, and it asks the database every
// time, with no window of trust, so that a token revoked, a user disabled
// or a role changed by any server or command sharing the database counts
// from the very next request. For a token it has seen within the minute
// the question is one indexed read of one column, the role, checked
// against the row it keeps (see credentialCache): the role is all that can
// change about a token's user short of disabling it (names never change,
// and a password is no concern of a token's). Otherwise it reads the row
// and notes the token's use.
func (s *Store) UserByToken(ctx context.Context, secret string) (*User, error) {
	hash := hashSecret(secret)
	key := credentialKey{credentialToken, hash}
	now := s.now()
	if e, ok := s.credentials.get(key); ok && now.Sub(e.lastUsed) < tokenUseGranularity {
		var role string
		err := s.readRow(ctx, `SELECT users.role FROM users JOIN tokens ON tokens.user_id = users.id
WHERE tokens.hash = ? AND tokens.revoked_at IS NULL AND users.disabled_at IS NULL`, hash).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			s.credentials.drop(key)
			return nil, errUnknownToken
		}
		if err != nil {
			return nil, translate(err)
		}
		if Role(role) == e.user.Role {
			u := e.user
			return &u, nil
		}
	}
	u := new(User)
	var tokenID int64
	var lastUsed sql.NullTime
	err := s.readRow(ctx, `SELECT users.id, users.name, users.role, users.password_hash, users.created_at, users.updated_at, users.disabled_at, tokens.id, tokens.last_used_at
FROM users JOIN tokens ON tokens.user_id = users.id
WHERE tokens.hash = ? AND tokens.revoked_at IS NULL AND users.disabled_at IS NULL`, hash).
		Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt, &u.DisabledAt, &tokenID, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		s.credentials.drop(key)
		return nil, errUnknownToken
	}
	if err != nil {
		return nil, translate(err)
	}
	if !lastUsed.Valid || now.Sub(lastUsed.Time) >= tokenUseGranularity {
		// Usage, not a change anyone made: it goes to no history row. A
		// failure to note it does not refuse a token that is valid.
		err := s.tx(ctx, func(tx *gorm.DB) error {
			_, err := s.exec(tx, "UPDATE tokens SET last_used_at = ? WHERE id = ?", now, tokenID)
			return err
		})
		if err == nil {
			lastUsed = sql.NullTime{Time: now, Valid: true}
		}
	}
	if lastUsed.Valid {
		s.credentials.put(key, credentialEntry{user: *u, lastUsed: lastUsed.Time})
	}
	return u, nil
}

// errUnknownToken is the answer to a token that is not live.
var errUnknownToken = &Error{Code: EUNAUTHORIZED, Message: "the API token is unknown or revoked, or its user is disabled; create a new one with: concord tokens create NAME (or on your account page)"}

// tokenUseGranularity is how precisely a token's last use is kept: a script
// calling the API all day writes it once a minute, not on every call.
const tokenUseGranularity = time.Minute

// CreateSession starts a browser session for a user and returns the cookie
// secret and the session's CSRF token.
func (s *Store) CreateSession(ctx context.Context, userID int64) (secret, csrf string, err error) {
	secret = NewSecret(32)
	csrf = NewSecret(24)
	now := s.now()
	sess := &Session{Hash: hashSecret(secret), UserID: userID, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// Sweep expired sessions while we hold the write lock anyway.
		if err := tx.Where("expires_at < ?", now).Delete(&Session{}).Error; err != nil {
			return err
		}
		return tx.Create(sess).Error
	})
	return secret, csrf, err
}

// SessionUser returns the user and CSRF token of a live session. Like
// UserByToken it reads the user afresh on every request, in the same one
// query, so that a role changed or a user disabled anywhere counts at once.
func (s *Store) SessionUser(ctx context.Context, secret string) (*User, string, error) {
	u := new(User)
	var csrf string
	var expires time.Time
	key := credentialKey{credentialSession, hashSecret(secret)}
	err := s.readRow(ctx, `SELECT users.id, users.name, users.role, users.password_hash, users.created_at, users.updated_at, users.disabled_at, sessions.csrf, sessions.expires_at
FROM users JOIN sessions ON sessions.user_id = users.id
WHERE sessions.hash = ? AND sessions.expires_at > ? AND users.disabled_at IS NULL`, key.hash, s.now()).
		Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt, &u.DisabledAt, &csrf, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		s.credentials.drop(key)
		return nil, "", errSessionEnded
	}
	if err != nil {
		return nil, "", translate(err)
	}
	s.credentials.put(key, credentialEntry{user: *u, csrf: csrf, expires: expires})
	return u, csrf, nil
}

// DeleteSession ends a browser session.
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Where("hash = ?", hashSecret(secret)).Delete(&Session{}).Error
	})
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
