package annotate

import (
	"sync"
	"time"
)

// tokenCache remembers for a moment which user a bearer token belongs to.
// A script sends its token with every call, and the lookup would otherwise
// be a query on every request.
//
// The cache is emptied whenever this store changes a user or a token, so a
// token revoked or a role changed through the store takes effect at once.
// A change made by another process sharing the database (a `concord tokens`
// or `concord users` command run beside the server) takes effect within
// tokenFreshness.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]tokenEntry // by token hash
	// gen counts the clears. A lookup that began before a clear does not
	// store what it read: it may have read the database before the change
	// that caused the clear was committed.
	gen uint64
}

type tokenEntry struct {
	user    User
	expires time.Time
}

// tokenFreshness is how long a looked-up token is trusted.
const tokenFreshness = time.Second

// tokenCacheSize bounds the cache; when full it starts again empty.
const tokenCacheSize = 4096

// get returns a copy of the user the token hash belongs to, if cached, and
// the generation to pass to put otherwise.
func (c *tokenCache) get(hash string, now time.Time) (*User, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || !now.Before(e.expires) {
		return nil, c.gen, false
	}
	u := e.user
	return &u, c.gen, true
}

// put remembers the user of a token hash until now + tokenFreshness, unless
// the cache was cleared since the get that returned gen.
func (c *tokenCache) put(hash string, u *User, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= tokenCacheSize {
		c.entries = make(map[string]tokenEntry)
	}
	c.entries[hash] = tokenEntry{user: *u, expires: now.Add(tokenFreshness)}
}

// clear forgets every token. Callers clear after the change commits.
func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}
