package annotate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"
)

// ConsensusLease is the row that lets one server at a time compute a
// consensus run when several Concord servers share one database. A server
// holds it while Holder names it and ExpiresAt (Unix milliseconds, which
// compare alike on both dialects) is in the future; it renews the expiry
// while it computes and clears it when done, and a server that died with
// the lease loses it when it expires.
type ConsensusLease struct {
	Name      string `gorm:"primaryKey;size:40"`
	Holder    string `gorm:"size:200;not null"`
	ExpiresAt int64  `gorm:"not null"`
}

// consensusLeaseName names the one lease there is.
const consensusLeaseName = "consensus"

// consensusLeaseTTL is how long a lease lasts without renewal: a server
// that died while computing holds up the others' exports for at most this
// long (pages never wait; they show the run there is).
const consensusLeaseTTL = time.Minute

// consensusLeaseRenew is how often the holder renews it.
const consensusLeaseRenew = consensusLeaseTTL / 3

// consensusLeasePoll is how often a server waiting for another's run
// looks again.
const consensusLeasePoll = 200 * time.Millisecond

// newLeaseHolder names this store among the servers that share its
// database: host, process and a random part, so that two stores of one
// process are told apart too.
func newLeaseHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// takeConsensusLease takes the lease, or renews it when this store holds
// it already, and reports whether this store holds it now. The update is
// guarded (the lease is free, expired or ours), and the row is created by
// an insert that the primary key lets only one server make, so that of two
// servers asking at once exactly one gets it.
func (s *Store) takeConsensusLease(ctx context.Context) (bool, error) {
	return s.takeLease(ctx, consensusLeaseName)
}

// takeLease takes the lease called name (see takeConsensusLease).
func (s *Store) takeLease(ctx context.Context, name string) (bool, error) {
	now := s.now()
	until := now.Add(consensusLeaseTTL).UnixMilli()
	got := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE consensus_leases SET holder = ?, expires_at = ? WHERE name = ? AND (expires_at < ? OR holder = ?)",
			s.leaseHolder, until, name, now.UnixMilli(), s.leaseHolder)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			got = true
			return nil
		}
		res = tx.Exec("INSERT INTO consensus_leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
			name, s.leaseHolder, until)
		got = res.Error == nil && res.RowsAffected == 1
		return res.Error
	})
	return got, err
}

// releaseLease gives the lease called name up, if this store holds it.
func (s *Store) releaseLease(ctx context.Context, name string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE consensus_leases SET holder = '', expires_at = 0 WHERE name = ? AND holder = ?", name, s.leaseHolder).Error
	})
}

// withConsensusLease runs fn while holding the lease, renewing it until fn
// returns, then releases it. It reports false, without running fn, when
// another server holds the lease. Should a renewal fail (the database was
// out of reach for a whole TTL), another server may start the same run:
// runs are versioned and the latest complete one is read, so that costs
// only the work.
func (s *Store) withConsensusLease(ctx context.Context, fn func() error) (bool, error) {
	return s.withLease(ctx, consensusLeaseName, fn)
}

// withLease is withConsensusLease for the lease called name: the
// consensus_leases table holds one row per kind of background work that
// one server at a time does.
func (s *Store) withLease(ctx context.Context, name string, fn func() error) (bool, error) {
	got, err := s.takeLease(ctx, name)
	if err != nil || !got {
		return false, err
	}
	done := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(consensusLeaseRenew)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_, _ = s.takeLease(ctx, name)
			}
		}
	}()
	err = fn()
	close(done)
	<-renewed
	if rerr := s.releaseLease(context.WithoutCancel(ctx), name); err == nil {
		err = rerr
	}
	return true, err
}
