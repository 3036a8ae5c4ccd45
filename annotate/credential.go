package annotate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Every request's credential — a bearer token or a session cookie — is
// checked against the database on every request, so that a token revoked,
// a session ended, a user disabled or a role changed by any server or
// command sharing the database counts from the very next request. There are
// two ways to make that check:
//
//   - before the request does anything: UserByToken and SessionUser, one
//     indexed read;
//   - inside the request's write: a request whose whole effect is one
//     guarded write (an annotation save) carries a Proof of a credential
//     this store checked before, and the write's own statement checks it
//     again, as one more condition of its guard (see WithProof). The check
//     then costs no round trip of its own, and it is made at the moment of
//     the write rather than before it. A write whose guard fails checks the
//     credential on its own before it goes on, so a credential that is no
//     longer live is refused with the same error as on the first path.
//
// Either way nothing is trusted for a moment longer than the request: the
// credential cache below only remembers who a credential belonged to, and
// the database answers whether it still does.

// credentialKind says what a credential is.
type credentialKind uint8

const (
	credentialNone credentialKind = iota
	credentialToken
	credentialSession
	credentialKinds
)

// credentialCache remembers the user behind each bearer token and session
// this store has looked up, so that the check every request makes reads
// one column (or none, inside a write), not the whole row.
type credentialCache struct {
	mu      sync.Mutex
	entries map[credentialKey]credentialEntry
}

// credentialKey names a cached credential: its kind and its secret's hash.
type credentialKey struct {
	kind credentialKind
	hash string
}

// credentialEntry is one cached credential: its user, when this store last
// noted a token's use, and a session's CSRF token and expiry.
type credentialEntry struct {
	user     User
	lastUsed time.Time
	csrf     string
	expires  time.Time
}

// credentialCacheSize bounds the cache; when full it starts again empty.
const credentialCacheSize = 8192

func (c *credentialCache) get(k credentialKey) (credentialEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e, ok
}

func (c *credentialCache) put(k credentialKey, e credentialEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= credentialCacheSize {
		c.entries = make(map[credentialKey]credentialEntry)
	}
	c.entries[k] = e
}

func (c *credentialCache) drop(k credentialKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// Proof is a credential this store has checked before, with the user it
// belonged to then. A request carries it (WithProof) when its guarded write
// is to check the credential again in its own statement.
type Proof struct {
	key  credentialKey
	user User
}

// User returns the user the proof's credential belonged to when this store
// last checked it.
func (p Proof) User() User { return p.user }

// proofKey is the context key of a request's Proof.
type proofKey struct{}

// WithProof returns a copy of ctx whose guarded writes check p in their own
// statement: the credential still live (token not revoked, session not
// ended), its user enabled and of the same role. A write that finds it
// otherwise writes nothing and returns the error the credential's own check
// gives (EUNAUTHORIZED, or ECONFLICT for a role that changed meanwhile).
// Only the writes of one request may use ctx, and the request must do
// nothing else that a caller without the credential may not.
func WithProof(ctx context.Context, p Proof) context.Context {
	return context.WithValue(ctx, proofKey{}, p)
}

// proofFrom returns the proof ctx carries, if any.
func proofFrom(ctx context.Context) (Proof, bool) {
	p, ok := ctx.Value(proofKey{}).(Proof)
	return p, ok && p.key.kind != credentialNone
}

// RememberedToken returns the user behind a bearer token this store checked
// within the last tokenUseGranularity, without asking the database, and
// the Proof that a guarded write made for the request must carry. ok is
// false when the token must be checked first, with UserByToken.
func (s *Store) RememberedToken(secret string) (u *User, p Proof, ok bool) {
	k := credentialKey{credentialToken, hashSecret(secret)}
	e, ok := s.credentials.get(k)
	if !ok || s.now().Sub(e.lastUsed) >= tokenUseGranularity {
		return nil, Proof{}, false
	}
	user := e.user
	return &user, Proof{key: k, user: e.user}, true
}

// RememberedSession returns the user and CSRF token of a session this store
// checked before and that has not expired, without asking the database,
// and the Proof that a guarded write made for the request must carry. ok
// is false when the session must be checked first, with SessionUser.
func (s *Store) RememberedSession(secret string) (u *User, csrf string, p Proof, ok bool) {
	k := credentialKey{credentialSession, hashSecret(secret)}
	e, ok := s.credentials.get(k)
	if !ok || !s.now().Before(e.expires) {
		return nil, "", Proof{}, false
	}
	user := e.user
	return &user, e.csrf, Proof{key: k, user: e.user}, true
}

// batchProofGuard is the condition, for a row i of a batched save (see
// savebatch.go), that the row's credential — of kind i.kind, with hash
// i.hash — is still live for its user and the role i.role it had: always
// true for a row with no credential to check.
var batchProofGuard = fmt.Sprintf("(i.kind = %d"+
	" OR (i.kind = %d AND EXISTS (SELECT 1 FROM tokens JOIN users ON users.id = tokens.user_id WHERE tokens.hash = i.hash AND tokens.revoked_at IS NULL AND users.id = i.user_id AND users.disabled_at IS NULL AND users.role = i.role))"+
	" OR (i.kind = %d AND EXISTS (SELECT 1 FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.hash = i.hash AND sessions.expires_at > i.at AND users.id = i.user_id AND users.disabled_at IS NULL AND users.role = i.role)))",
	credentialNone, credentialToken, credentialSession)

// checkProof checks a proof's credential on its own, as UserByToken and
// SessionUser would: for a write whose guard failed, which may have failed
// on the credential.
func (s *Store) checkProof(ctx context.Context, p Proof) error {
	var role string
	var err error
	switch p.key.kind {
	case credentialToken:
		err = s.readRow(ctx, `SELECT users.role FROM users JOIN tokens ON tokens.user_id = users.id
WHERE tokens.hash = ? AND tokens.revoked_at IS NULL AND users.disabled_at IS NULL`, p.key.hash).Scan(&role)
	case credentialSession:
		err = s.readRow(ctx, `SELECT users.role FROM users JOIN sessions ON sessions.user_id = users.id
WHERE sessions.hash = ? AND sessions.expires_at > ? AND users.disabled_at IS NULL`, p.key.hash, s.now()).Scan(&role)
	default:
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		s.credentials.drop(p.key)
		if p.key.kind == credentialToken {
			return errUnknownToken
		}
		return errSessionEnded
	}
	if err != nil {
		return translate(err)
	}
	if Role(role) != p.user.Role {
		// The request was let in under the old role; what it may do under
		// the new one is for its next sending to find out.
		s.credentials.drop(p.key)
		return &Error{Code: ECONFLICT, Message: fmt.Sprintf("your role changed from %s to %s while this request was on its way; nothing was written; send it again", p.user.Role, role)}
	}
	return nil
}

// errSessionEnded is the answer to a session cookie that is not live.
var errSessionEnded = &Error{Code: EUNAUTHORIZED, Message: "your session has ended; log in again"}

// CheckCaller checks, on its own, the credential of the Proof that ctx
// carries, if any: for a request that ends without its guarded write (a
// label the schema refuses, a conflict), whose answer must then tell a
// caller whose credential is no longer live nothing more than "log in".
func (s *Store) CheckCaller(ctx context.Context) error {
	p, ok := proofFrom(ctx)
	if !ok {
		return nil
	}
	return s.checkProof(ctx, p)
}
