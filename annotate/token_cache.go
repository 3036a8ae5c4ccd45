package annotate

import (
	"sync"
	"time"
)

// tokenCache remembers the user row behind each bearer token this store has
// looked up, so that the check every API call makes reads one column, not
// the whole row. It is never trusted on its own: each request still asks
// the database whether the token is live, its user enabled and the role
// the same (see UserByToken), so a change made by any server or command
// sharing the database counts from the next request, with nothing to
// invalidate.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]tokenEntry // by token hash
}

// tokenEntry is one cached token: its user, and when this store last
// noted its use.
type tokenEntry struct {
	user     User
	lastUsed time.Time
}

// tokenCacheSize bounds the cache; when full it starts again empty.
const tokenCacheSize = 4096

func (c *tokenCache) get(hash string) (tokenEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	return e, ok
}

func (c *tokenCache) put(hash string, e tokenEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= tokenCacheSize {
		c.entries = make(map[string]tokenEntry)
	}
	c.entries[hash] = e
}

func (c *tokenCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, hash)
}
