package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
)

// testDocumentIsolation: a caller's changes to a document it read are never
// seen by the next reader unless committed; nor are changes the committer
// makes to a document after committing it; a commit is seen by the next read.
func testDocumentIsolation(t *testing.T, open Open) {
	s, _ := open(t)
	id := adjudicator.MemberID("SMITH01", "001")
	committed := Doc(accumulators.Deductible, retailIn, "10.00")
	commit(t, s, &adjudicator.Commit{Docs: []adjudicator.DocWrite{{Scope: accumulators.Member, ID: id, Period: Period, Doc: committed}}})
	committed.Add(accumulators.Bucket{Kind: accumulators.Units, Segment: retailIn}, dec("7")) // after the commit
	want := DocString(Doc(accumulators.Deductible, retailIn, "10.00"))
	read := func() *accumulators.Doc {
		t.Helper()
		d := readDoc(t, s, accumulators.Member, id, Period)
		if DocString(d) != want {
			t.Fatalf("Accumulators = %s, want %s", DocString(d), want)
		}
		return d
	}
	for i := range 3 {
		scribble(read())
		if i == 1 { // read another document in between, which evicts from a small cache
			readDoc(t, s, accumulators.Family, "SMITH01", Period)
		}
	}
	// A never-written document also comes back fresh each time.
	scribble(readDoc(t, s, accumulators.Member, "OTHER:001", Period))
	if again := readDoc(t, s, accumulators.Member, "OTHER:001", Period); len(again.Entries) != 0 {
		t.Errorf("uncommitted change to a new document is visible: %s", DocString(again))
	}
	// A commit replaces what was read before.
	d := read()
	d.Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, dec("2.50"))
	commit(t, s, &adjudicator.Commit{Docs: []adjudicator.DocWrite{{Scope: accumulators.Member, ID: id, Period: Period, Doc: d}}})
	want = DocString(Doc(accumulators.Deductible, retailIn, "12.50"))
	read()
	scribble(read())
	read()
}

// scribble changes a document every way Doc allows, for a test to check
// that the change is not seen by others.
func scribble(d *accumulators.Doc) {
	d.Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, dec("-10.00")) // drops the entry
	d.Add(accumulators.Bucket{Kind: accumulators.OutOfPocket, Segment: retailIn}, dec("99"))
	d.Entries = append(d.Entries, accumulators.Entry{Bucket: accumulators.Bucket{Kind: accumulators.RxCount, Segment: mailOut}, Amount: dec("1")})
}

var countBucket = accumulators.Bucket{Kind: accumulators.RxCount, Segment: retailIn}

func countDoc(n int) *accumulators.Doc {
	d := &accumulators.Doc{}
	d.Add(countBucket, dec(fmt.Sprint(n)))
	return d
}

func docWrite(id string, d *accumulators.Doc) []adjudicator.DocWrite {
	return []adjudicator.DocWrite{{Scope: accumulators.Member, ID: id, Period: Period, Doc: d}}
}

// readConcurrently reads documents id and other (which may evict id from
// a small cache) in a loop on several goroutines until stop is closed,
// calling check with each count read of id and the value of committed
// before the read.
func readConcurrently(t *testing.T, s Store, id, other string, committed *atomic.Int64, stop <-chan struct{}, check func(reader int, n, before int64)) *sync.WaitGroup {
	wg := new(sync.WaitGroup)
	for r := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				before := committed.Load()
				d, err := s.Accumulators(ctx, accumulators.Member, id, Period)
				if err != nil {
					t.Error(err)
					return
				}
				check(r, d.Get(countBucket).IntPart(), before)
				if _, err := s.Accumulators(ctx, accumulators.Member, other, Period); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	return wg
}

// testConcurrentDocuments races reads of a document with commits of it,
// without any lock of the caller's (the engine's family lock is not part
// of the contract): a read never goes back to an older value than one
// already read, the last commit is what is read afterwards, and, when
// commits race each other too, what is read is what is stored.
func testConcurrentDocuments(t *testing.T, open Open) {
	s, reopen := open(t)
	const id, other, commits = "RACE:001", "RACE:002", 100
	commit(t, s, &adjudicator.Commit{Docs: docWrite(other, countDoc(1))})
	var (
		last      [4]int64
		committed atomic.Int64 // the last count whose Commit returned
	)
	stop := make(chan struct{})
	wg := readConcurrently(t, s, id, other, &committed, stop, func(r int, n, before int64) {
		if n < last[r] {
			t.Errorf("reader %d read count %d after %d: reads went back in time", r, n, last[r])
		}
		if n < before {
			t.Errorf("reader %d read count %d after the commit of %d returned: a stale document was served", r, n, before)
		}
		last[r] = n
	})
	for i := 1; i <= commits; i++ {
		commit(t, s, &adjudicator.Commit{Docs: docWrite(id, countDoc(i))})
		committed.Store(int64(i))
	}
	close(stop)
	wg.Wait()
	if got := readDoc(t, s, accumulators.Member, id, Period).Get(countBucket).IntPart(); got != commits {
		t.Fatalf("after the last commit Accumulators reads count %d, want %d", got, commits)
	}
	racingCommits(t, s, id, other)
	got := DocString(readDoc(t, s, accumulators.Member, id, Period))
	if stored := DocString(readDoc(t, reopen(), accumulators.Member, id, Period)); got != stored {
		t.Errorf("after racing commits Accumulators reads %s, but %s is stored", got, stored)
	}
}

// racingCommits commits id from several goroutines at once while others read it.
func racingCommits(t *testing.T, s Store, id, other string) {
	stop := make(chan struct{})
	wg := readConcurrently(t, s, id, other, new(atomic.Int64), stop, func(int, int64, int64) {})
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range 25 {
				if err := s.Commit(ctx, &adjudicator.Commit{Docs: docWrite(id, countDoc(1000*(w+1)+i))}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
}

// testConcurrentFamilies races family reads with PutFamilies: the last
// put is what is read afterwards.
func testConcurrentFamilies(t *testing.T, open Open) {
	s, _ := open(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, id := range []string{"RACE01", "RACE02"} {
					if _, err := s.Family(ctx, id); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for i := range 50 {
		f := Family("RACE01", "1980-01-01")
		f.GroupID = fmt.Sprint("G", i)
		putFamilies(t, s, f, Family("RACE02", "1981-01-01"))
	}
	close(stop)
	wg.Wait()
	if f, err := s.Family(ctx, "RACE01"); err != nil || f == nil || f.GroupID != "G49" {
		t.Errorf("after the last put Family(RACE01) = %+v, %v; want group G49", f, err)
	}
}
