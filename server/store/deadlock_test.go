package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestTransactionsBesideNewQueriesNeverDeadlock: requests that each run a
// query the server has not run before, while another holds a transaction
// that runs new queries of its own, all finish. With gorm's prepared
// statement cache on one SQLite connection they did not: a reader waited,
// holding the cache's lock, for a statement being prepared on the pool;
// the preparer waited for the one connection; the transaction holding it
// waited for the cache's lock (seen as a whole console page that never
// loaded: five requests hung until the browser gave up).
func TestTransactionsBesideNewQueriesNeverDeadlock(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), Options{DSN: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 40; i++ {
					// The same few statements from every goroutine: one
					// prepares what the others then wait for.
					q := fmt.Sprintf("SELECT %d + ?", i)
					var n int
					var err error
					if g%2 == 0 { // a transaction whose statements are always new
						err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
							if err := tx.Raw(fmt.Sprintf("SELECT %d + ?", 1000*g+i), g).Scan(&n).Error; err != nil {
								return err
							}
							return tx.Raw(fmt.Sprintf("SELECT %d + ?", 100000*g+i), g).Scan(&n).Error
						})
					} else {
						err = s.DB.WithContext(ctx).Raw(q, g).Scan(&n).Error
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		done <- <-errs
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("queries and transactions deadlocked on the database connection")
	}
}
