package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pixcdn/origin"
	"pixcdn/origin/postgres"

	"pixcdn/internal/testenv"
)

func storeOK(context.Context) error { return nil }

func version(tenant, id, sha string) origin.Version {
	return origin.Version{Tenant: tenant, PublicID: id, SHA256: sha, Bytes: 10, Format: "png", Width: 1, Height: 1}
}

// TestCatalogIsolationBelowHTTP calls the catalog directly, with no
// authorisation layer above it: row-level security alone keeps tenant beta
// away from acme's rows.
func TestCatalogIsolationBelowHTTP(t *testing.T) {
	_, c := newCatalog(t, "acme", "beta")
	ctx := testenv.Context(t)
	if _, _, err := c.CommitVersion(ctx, version("acme", "shared/a.png", "aaaa"), origin.Precondition{}, storeOK); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Image(ctx, "beta", "shared/a.png"); !errors.Is(err, origin.ErrNotFound) {
		t.Errorf("beta reads acme's image: %v", err)
	}
	if ims, err := c.ListImages(ctx, "beta", origin.ListQuery{Prefix: "shared/", Limit: 10}); err != nil || len(ims) != 0 {
		t.Errorf("beta lists %d of acme's images (err %v)", len(ims), err)
	}
	vis := origin.Signed
	if _, _, err := c.PatchImage(ctx, "beta", "shared/a.png", origin.Patch{Visibility: &vis}); !errors.Is(err, origin.ErrNotFound) {
		t.Errorf("beta patches acme's image: %v", err)
	}
	if _, err := c.DeleteImage(ctx, "beta", "shared/a.png", origin.Precondition{}); !errors.Is(err, origin.ErrNotFound) {
		t.Errorf("beta deletes acme's image: %v", err)
	}
	// The same public id in beta is beta's own image, version 1.
	im, _, err := c.CommitVersion(ctx, version("beta", "shared/a.png", "bbbb"), origin.Precondition{IfNoneMatchAny: true}, storeOK)
	if err != nil || im.Version != 1 {
		t.Fatalf("beta's own image: %+v, %v", im, err)
	}
	acme, err := c.Image(ctx, "acme", "shared/a.png")
	if err != nil || acme.SHA256 != "aaaa" || acme.Visibility != origin.Public {
		t.Fatalf("acme's image changed: %+v, %v", acme, err)
	}
	// Blob discard in beta's scope cannot see, so cannot keep or delete by, acme's blob row.
	deleted := false
	if err := c.DiscardBlob(ctx, "beta", "aaaa", func(context.Context) error { deleted = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if !deleted {
		t.Fatal("beta's discard of a sha only acme stores did not treat it as unreferenced in beta")
	}
	if err := c.DiscardBlob(ctx, "acme", "aaaa", func(context.Context) error { t.Fatal("acme's referenced blob discarded"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestCommitVersionStoresNewBlobsOnly(t *testing.T) {
	_, c := newCatalog(t, "acme")
	ctx := testenv.Context(t)
	stores := 0
	count := func(context.Context) error { stores++; return nil }
	for _, id := range []string{"a", "b", "a"} {
		if _, _, err := c.CommitVersion(ctx, version("acme", id, "same"), origin.Precondition{}, count); err != nil {
			t.Fatal(err)
		}
	}
	if stores != 1 {
		t.Fatalf("store called %d times for one blob, want 1", stores)
	}
	failing := func(context.Context) error { return errors.New("disk full") }
	if _, _, err := c.CommitVersion(ctx, version("acme", "c", "other"), origin.Precondition{}, failing); err == nil {
		t.Fatal("commit succeeded though store failed")
	}
	if _, err := c.Image(ctx, "acme", "c"); !errors.Is(err, origin.ErrNotFound) {
		t.Fatalf("failed commit left an image: %v", err)
	}
	if _, _, err := c.CommitVersion(ctx, version("nobody", "x", "y"), origin.Precondition{}, storeOK); !errors.Is(err, origin.ErrNotFound) {
		t.Fatalf("commit to an unknown tenant: %v", err)
	}
}

func TestListKeysetPagination(t *testing.T) {
	_, c := newCatalog(t, "acme")
	ctx := testenv.Context(t)
	for _, id := range []string{"b/2", "a/1", "b/1", "b/3", "c"} {
		v := version("acme", id, "s")
		if id[0] == 'b' {
			v.Tags = []string{"bee"}
		}
		if _, _, err := c.CommitVersion(ctx, v, origin.Precondition{}, storeOK); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		ims, err := c.ListImages(ctx, "acme", origin.ListQuery{Prefix: "b/", Tag: "bee", After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range ims {
			got = append(got, im.PublicID)
		}
		if len(ims) < 2 {
			break
		}
		after = ims[len(ims)-1].PublicID
	}
	if len(got) != 3 || got[0] != "b/1" || got[1] != "b/2" || got[2] != "b/3" {
		t.Fatalf("pages gave %v", got)
	}
	ims, _ := c.ListImages(ctx, "acme", origin.ListQuery{Prefix: "%", Limit: 10})
	if len(ims) != 0 {
		t.Fatalf("prefix %% matched %d images: prefixes must be literal", len(ims))
	}
}

// TestDiscardWaitsForACommittingWriter: a writer storing the same bytes
// holds the blob's shared lock; a concurrent discard (a failed upload of
// those bytes cleaning up) waits for it and then keeps the object.
func TestDiscardWaitsForACommittingWriter(t *testing.T) {
	db, c := newCatalog(t, "acme")
	ctx := testenv.Context(t)
	storing, release := make(chan struct{}), make(chan struct{})
	committed := make(chan error, 1)
	go func() {
		_, _, err := c.CommitVersion(ctx, version("acme", "a", "shared-sha"), origin.Precondition{}, func(context.Context) error {
			close(storing)
			<-release
			return nil
		})
		committed <- err
	}()
	<-storing
	discarded := make(chan bool, 1)
	go func() {
		deleted := false
		err := c.DiscardBlob(ctx, "acme", "shared-sha", func(context.Context) error { deleted = true; return nil })
		if err != nil {
			t.Error(err)
		}
		discarded <- deleted
	}()
	waitForLockWaiter(t, db)
	select {
	case <-discarded:
		t.Fatal("discard finished while a writer of the same blob was storing it")
	default:
	}
	close(release)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if <-discarded {
		t.Fatal("discard deleted bytes that the writer committed")
	}
}

// waitForLockWaiter polls pg_locks until some backend waits for an
// advisory lock.
func waitForLockWaiter(t *testing.T, db *postgres.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := db.Pool().QueryRow(testenv.Context(t), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no backend waited for the blob lock within 10s")
}
