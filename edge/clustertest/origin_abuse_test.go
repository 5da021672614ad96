package clustertest

import (
	"fmt"
	"net/http"
	"testing"

	"pixcdn/edge/imgurl"
	"pixcdn/internal/testenv"
)

// TestBadIDsAndUnsignedRequestsCostTheOriginNothing replays two findings
// of the outside test against the real origin: ids the origin refuses
// (double-encoded slashes and dots, overlong UTF-8, bad bytes) opened the
// edge's circuit breaker, so first-time legitimate requests got 502; and
// unsigned requests for a signed image were each fetched and transformed
// before the 403. Now bad ids are a 400 at the edge and never reach the
// origin, and unsigned requests never transform (the metrics count both).
func TestBadIDsAndUnsignedRequestsCostTheOriginNothing(t *testing.T) {
	signKey := "test-sign-key-0123456789"
	origin := testenv.StartOriginStack(t)
	origin.CreateTenant(t, "acme")
	key := origin.EdgeKey(t)
	for i := range 9 {
		origin.Put(t, "acme", fmt.Sprintf("ok/%d.jpg", i), gradientJPEG(t, 400, 300, uint8(i)))
	}
	if code, answer := origin.Call(t, http.MethodPut, "/v1/acme/images/secret.jpg?visibility=signed", gradientJPEG(t, 400, 300, 200)); code != 200 && code != 201 {
		t.Fatalf("PUT signed image: %d %s", code, answer)
	}
	c := testenv.StartEdgeCluster(t, testenv.EdgeClusterConfig{Nodes: 3, Origin: origin.URL,
		Args: []string{"--origin-key", key, "--sign-key", signKey}})

	bad := []string{"%252F", "%252e%252e", "%C0%AE%C0%AE", "%FF%FE", "a%252Fb.jpg", "x%25.jpg", "a%23b.jpg", "a%3Fb.jpg"}
	fetchesBefore := c.Sum(t, "pixcdn_origin_fetches_total")
	for i := range 40 {
		path := "/acme/" + bad[i%len(bad)] + fmt.Sprintf("?w=%d", 100+i)
		if a := get(c.Nodes[i%3].URL(path)); a.code != 400 {
			t.Fatalf("bad id %s: %d %v, want 400", path, a.code, a.err)
		}
	}
	if f := c.Sum(t, "pixcdn_origin_fetches_total"); f != fetchesBefore {
		t.Fatalf("40 bad ids made %v origin fetches, want none", f-fetchesBefore)
	}
	for i := range 9 {
		if a := get(c.Nodes[i%3].URL(fmt.Sprintf("/acme/ok/%d.jpg?w=120", i))); a.code != 200 {
			t.Fatalf("first-time request %d after the bad ids: %d %v", i, a.code, a.err)
		}
	}

	transformsBefore := c.Sum(t, "pixcdn_transforms_total")
	for w := 1; w <= 20; w++ {
		if a := get(c.Nodes[w%3].URL(fmt.Sprintf("/acme/secret.jpg?w=%d", 100+w))); a.code != 403 {
			t.Fatalf("unsigned w=%d of a signed image: %d %v", 100+w, a.code, a.err)
		}
	}
	if tr := c.Sum(t, "pixcdn_transforms_total"); tr != transformsBefore {
		t.Fatalf("20 unsigned requests for a signed image made %v transforms, want 0", tr-transformsBefore)
	}
	if a := get(c.Nodes[0].URL(imgurl.SignURL([]byte(signKey), "/acme/secret.jpg", "w=101"))); a.code != 200 {
		t.Fatalf("signed request: %d %v", a.code, a.err)
	}
	t.Logf("40 bad ids: 40×400, %v origin fetches; 20 unsigned widths of a signed image: 20×403, %v transforms; origin fetches in all %v",
		0, c.Sum(t, "pixcdn_transforms_total")-transformsBefore-1, c.Sum(t, "pixcdn_origin_fetches_total")-fetchesBefore)
}
