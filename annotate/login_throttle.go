package annotate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Login throttling. Failed logins are counted per account and per client
// address in the database, not in the server's memory, so that every server
// on one database sees the same counts and a restart forgets none of them.
const (
	// FreeLoginFailures is how many failed logins an account or an address
	// may have before each further attempt must wait.
	FreeLoginFailures = 5
	// MaxLoginWait is the longest wait: after the free failures the wait is
	// one second, doubling with each further failure up to this.
	MaxLoginWait = 5 * time.Minute
	// LoginFailuresKept is how long a count lives after its last attempt:
	// an account or address quiet for this long starts again from zero.
	LoginFailuresKept = time.Hour
)

// LoginThrottle is the failed-login count of one account ("user:NAME") or
// one client address ("addr:IP"). WindowStart is when the last counted
// attempt began the wait that Failures now imposes, in Unix milliseconds:
// an integer, so that the wait can be worked out inside one statement the
// same way on SQLite and PostgreSQL.
type LoginThrottle struct {
	Key         string `gorm:"column:throttle_key;primaryKey;size:200"`
	Failures    int    `gorm:"not null"`
	WindowStart int64  `gorm:"not null;index"`
}

// LoginThrottled is the error StartLogin returns when an account or an
// address must wait before it may try again.
type LoginThrottled struct {
	// Wait is how long until the next attempt is heard.
	Wait time.Duration
	// Address is true when the client address is throttled, false when the
	// account is.
	Address bool
}

// Error implements the error interface.
func (e *LoginThrottled) Error() string {
	who := "for this account"
	if e.Address {
		who = "from this address"
	}
	return fmt.Sprintf("too many failed logins %s; try again in %s", who, waitWords(e.Wait))
}

// waitWords says a wait the way people do, rounded up: "1 second",
// "40 seconds", "5 minutes".
func waitWords(d time.Duration) string {
	if d < time.Minute {
		n := max(1, int((d+time.Second-1)/time.Second))
		if n == 1 {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", n)
	}
	n := int((d + time.Minute - 1) / time.Minute)
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

// loginWait is the wait a count imposes: none up to FreeLoginFailures, then
// one second doubling up to MaxLoginWait.
func loginWait(failures int) time.Duration {
	if failures < FreeLoginFailures {
		return 0
	}
	return min(time.Second<<min(failures-FreeLoginFailures, 20), MaxLoginWait)
}

// loginWaitSQL is loginWait over the stored count, in milliseconds, as an
// SQL expression: one branch per doubling below the ceiling.
var loginWaitSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE")
	for n := FreeLoginFailures; loginWait(n) < MaxLoginWait; n++ {
		fmt.Fprintf(&b, " WHEN login_throttles.failures = %d THEN %d", n, loginWait(n).Milliseconds())
	}
	fmt.Fprintf(&b, " WHEN login_throttles.failures < %d THEN 0 ELSE %d END", FreeLoginFailures, MaxLoginWait.Milliseconds())
	return b.String()
}()

// claimLoginSQL counts one login attempt against a key, unless the key must
// still wait: the check and the count are one statement, judged by rows
// affected, so that attempts racing on one server or on several can never
// both pass a count that allows one. A count whose last attempt is older
// than LoginFailuresKept starts again at one.
var claimLoginSQL = `INSERT INTO login_throttles (throttle_key, failures, window_start) VALUES (?, 1, ?)
ON CONFLICT (throttle_key) DO UPDATE SET
  failures = CASE WHEN login_throttles.window_start < ? THEN 1 ELSE login_throttles.failures + 1 END,
  window_start = excluded.window_start
WHERE login_throttles.window_start < ? OR login_throttles.window_start + (` + loginWaitSQL + `) <= excluded.window_start`

// AccountThrottleKey is the throttle key of the account a login names. The
// name is lower-cased, so that "Alice" and "alice" share a count; a name too
// long to be anyone's is hashed, so that the key stays short.
func AccountThrottleKey(name string) string {
	n := strings.ToLower(name)
	if len(n) > 100 {
		return "user:#" + hashSecret(n)[:32]
	}
	return "user:" + n
}

// AddressThrottleKey is the throttle key of a client address.
func AddressThrottleKey(addr string) string {
	if len(addr) > 100 {
		return "addr:#" + hashSecret(addr)[:32]
	}
	return "addr:" + addr
}

// loginKey is one of the two counts a login attempt is held to.
type loginKey struct {
	key     string
	address bool
}

// loginKeys returns the account's count and then the address's.
func loginKeys(name, addr string) []loginKey {
	return []loginKey{{AccountThrottleKey(name), false}, {AddressThrottleKey(addr), true}}
}

// StartLogin counts a login attempt for the account name and the client
// address addr at now, before the password is checked, or refuses it with
// *LoginThrottled when either must wait. Counting first is what makes the
// limit hold under concurrent attempts: the count is the check. A login
// that then succeeds calls LoginSucceeded.
func (s *Store) StartLogin(ctx context.Context, name, addr string, now time.Time) error {
	nowMS := now.UnixMilli()
	forget := now.Add(-LoginFailuresKept).UnixMilli()
	// A read first, which can only refuse: a flood of attempts that must
	// wait is turned away without taking the write lock, which annotators'
	// saves need. The statement below still decides every attempt it lets
	// through.
	for _, k := range loginKeys(name, addr) {
		var failures int
		var start int64
		err := s.readRow(ctx, "SELECT failures, window_start FROM login_throttles WHERE throttle_key = ?", k.key).Scan(&failures, &start)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return translate(err)
		}
		if wait := time.UnixMilli(start).Add(loginWait(failures)).Sub(now); start >= forget && wait > 0 {
			return &LoginThrottled{Wait: wait, Address: k.address}
		}
	}
	claim := func(tx *gorm.DB) error {
		for _, k := range loginKeys(name, addr) {
			n, err := s.exec(tx, claimLoginSQL, k.key, nowMS, forget, forget)
			if err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			// Refused: say for how long. Returning an error undoes the
			// account's count if the address is the one refused.
			var failures int
			var start int64
			if err := tx.Raw("SELECT failures, window_start FROM login_throttles WHERE throttle_key = ?", k.key).Row().Scan(&failures, &start); err != nil {
				return err
			}
			wait := time.UnixMilli(start).Add(loginWait(failures)).Sub(now)
			return &LoginThrottled{Wait: max(wait, time.Millisecond), Address: k.address}
		}
		return nil
	}
	err := s.tx(ctx, claim)
	if isDeadlock(err) {
		// PostgreSQL chose this attempt to break a lock cycle with another
		// (two logins, or a sweep, on the same rows in another order);
		// nothing of it was kept, so it can simply run again.
		err = s.tx(ctx, claim)
	}
	var th *LoginThrottled
	if errors.As(err, &th) {
		return th
	}
	if err != nil {
		return err
	}
	s.sweepLogins(ctx, now)
	return nil
}

// loginSweepEvery is how often a store deletes the counts nobody has added
// to for LoginFailuresKept.
const loginSweepEvery = time.Minute

// sweepLogins deletes forgotten counts, at most once per loginSweepEvery,
// in a transaction of its own, so that the claims never wait on it. A
// failed sweep is left for the next one.
func (s *Store) sweepLogins(ctx context.Context, now time.Time) {
	last := s.loginSweep.Load()
	if now.UnixMilli()-last < loginSweepEvery.Milliseconds() || !s.loginSweep.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	_ = s.tx(ctx, func(tx *gorm.DB) error {
		_, err := s.exec(tx, "DELETE FROM login_throttles WHERE window_start < ?", now.Add(-LoginFailuresKept).UnixMilli())
		return err
	})
}

// isDeadlock reports whether err is PostgreSQL's deadlock error.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01"
}

// LoginSucceeded clears the account's count after a successful login and
// takes back the attempt StartLogin counted for the address, and only that:
// a success on one account must not clear the failures an address has run
// up against others.
func (s *Store) LoginSucceeded(ctx context.Context, name, addr string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.exec(tx, "DELETE FROM login_throttles WHERE throttle_key = ?", AccountThrottleKey(name)); err != nil {
			return err
		}
		_, err := s.exec(tx, "UPDATE login_throttles SET failures = failures - 1 WHERE throttle_key = ? AND failures > 0", AddressThrottleKey(addr))
		return err
	})
}

// LoginFailures returns the failures counted against a throttle key (see
// AccountThrottleKey and AddressThrottleKey), 0 when there are none.
func (s *Store) LoginFailures(ctx context.Context, key string) (int, error) {
	var n int
	err := s.readRow(ctx, "SELECT failures FROM login_throttles WHERE throttle_key = ?", key).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, translate(err)
}
