package peer

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"pixcdn/contract"
	"pixcdn/transform"
)

// Client sends requests to peers. It is safe for concurrent use; it keeps
// idle keep-alive connections per peer and has no goroutines of its own
// beyond fasthttp's idle-connection cleaner.
type Client struct {
	cfg Config
	hc  *fasthttp.Client
}

// NewClient returns a Client for a valid cfg.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dial := cfg.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: cfg.DialTimeout}
		dial = func(addr string) (net.Conn, error) { return d.Dial("tcp", addr) }
	}
	hc := &fasthttp.Client{
		Name: "pixcdn-peer", NoDefaultUserAgentHeader: true, Dial: dial,
		MaxConnsPerHost: cfg.MaxConnsPerPeer, MaxResponseBodySize: cfg.MaxBodyBytes,
		MaxIdleConnDuration: 30 * time.Second, DisablePathNormalizing: true,
		ReadBufferSize: 16 << 10, RetryIfErr: func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
	}
	return &Client{cfg: cfg, hc: hc}, nil
}

// forwardedHeaders are copied from the client's request to the owner.
var forwardedHeaders = []string{
	fasthttp.HeaderAccept, fasthttp.HeaderIfNoneMatch, fasthttp.HeaderIfModifiedSince, HeaderClient,
}

// Forward sends a public request (method, raw URI as sent, and the headers
// that select or validate a variant; not the client's trace context, which
// the Propagator replaces with ctx's) to the peer at addr and fills resp,
// which the caller owns. It returns an error wrapping ErrPeer when the peer
// cannot be reached in time; any HTTP answer is returned in resp.
func (c *Client) Forward(ctx context.Context, addr string, in *fasthttp.Request, resp *fasthttp.Response) error {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	// Always GET: for a HEAD the owner's body gives this node the right
	// Content-Length, and the public server drops the body itself.
	req.Header.SetMethod(fasthttp.MethodGet)
	uri := in.Header.RequestURI()
	req.SetRequestURI(PathVariant + string(uri))
	for _, h := range forwardedHeaders {
		if v := in.Header.Peek(h); len(v) > 0 {
			req.Header.SetBytesV(h, v)
		}
	}
	return c.do(ctx, addr, req, resp)
}

func (c *Client) do(ctx context.Context, addr string, req *fasthttp.Request, resp *fasthttp.Response) error {
	req.SetHost(addr)
	req.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+c.cfg.Secret)
	req.Header.Set(HeaderHop, c.cfg.Self)
	if c.cfg.Propagator != nil {
		c.cfg.Propagator.Inject(ctx, RequestCarrier{&req.Header})
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	if err := c.hc.DoDeadline(req, resp, deadline); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrPeer, addr, err)
	}
	return nil
}

// FetchOriginal asks the peer at addr for an original it owns. With
// revalidate, the peer answers only with an original it has just confirmed
// with the origin (Cache-Control: no-cache). With variant (canonical
// options) set, the peer may answer with the original's working master
// when that variant fits within it (Original.MasterSize set). The returned
// Body is a copy owned by the caller. The peer's feed position
// (HeaderFeedPosition) is in the returned Original also when err is
// ErrNotFound.
func (c *Client) FetchOriginal(ctx context.Context, addr, tenant, publicID string, revalidate bool, variant string) (Original, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	uri := PathOriginal + "/" + escapePath(tenant) + "/" + escapePath(publicID)
	if variant != "" {
		uri += "?" + QueryVariant + "=" + url.QueryEscape(variant)
	}
	req.SetRequestURI(uri)
	if transform.IsBackground(ctx) {
		req.Header.Set(HeaderBackground, "1")
	}
	if revalidate {
		req.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	}
	if err := c.do(ctx, addr, req, resp); err != nil {
		return Original{}, err
	}
	switch code := resp.StatusCode(); code {
	case fasthttp.StatusOK, fasthttp.StatusNotModified:
		o := readOriginal(&resp.Header)
		o.NotModified = code == fasthttp.StatusNotModified
		if !o.NotModified {
			o.Body = append([]byte(nil), resp.Body()...)
		}
		return o, nil
	case fasthttp.StatusNotFound:
		var o Original
		o.FeedPosition, o.FeedPositionKnown = FeedPosition(&resp.Header)
		return o, ErrNotFound
	default:
		return Original{}, fmt.Errorf("%w: %s answered %d", ErrPeer, addr, code)
	}
}

// escapePath percent-encodes each "/"-separated segment of p.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// Original is an original image as exchanged between peers: the
// origin's (contract.Original) and, from an owner, its feed position and
// working master.
type Original struct {
	Body         []byte
	ETag         string
	ContentType  string
	CacheControl string
	Visibility   string
	LastModified time.Time
	Version      int64
	Tags         []string
	NotModified  bool
	// FeedPosition is the sending peer's HeaderFeedPosition, when
	// FeedPositionKnown.
	FeedPosition      int64
	FeedPositionKnown bool
	// Size and MasterSize ("WxH") are set when Body is the original's
	// working master: the sizes of the original and of the master.
	Size, MasterSize string
}

// WriteOriginalHeaders sets the headers describing o on a response.
func WriteOriginalHeaders(h *fasthttp.ResponseHeader, o *Original) {
	h.SetContentType(o.ContentType)
	h.Set(fasthttp.HeaderETag, o.ETag)
	h.Set(fasthttp.HeaderCacheControl, o.CacheControl)
	if !o.LastModified.IsZero() {
		h.SetBytesV(fasthttp.HeaderLastModified, fasthttp.AppendHTTPDate(nil, o.LastModified))
	}
	h.Set(HeaderVersion, strconv.FormatInt(o.Version, 10))
	h.Set(HeaderVisibility, o.Visibility)
	if len(o.Tags) > 0 {
		h.Set(HeaderTags, contract.JoinTags(o.Tags))
	}
	if o.MasterSize != "" {
		h.Set(HeaderSize, o.Size)
		h.Set(HeaderMasterSize, o.MasterSize)
	}
}

func readOriginal(h *fasthttp.ResponseHeader) Original {
	o := Original{
		ETag: string(h.Peek(fasthttp.HeaderETag)), ContentType: string(h.ContentType()),
		CacheControl: string(h.Peek(fasthttp.HeaderCacheControl)),
		Visibility:   string(h.Peek(HeaderVisibility)),
		Size:         string(h.Peek(HeaderSize)), MasterSize: string(h.Peek(HeaderMasterSize)),
	}
	o.LastModified, _ = fasthttp.ParseHTTPDate(h.Peek(fasthttp.HeaderLastModified))
	o.Version, _ = strconv.ParseInt(string(h.Peek(HeaderVersion)), 10, 64)
	o.FeedPosition, o.FeedPositionKnown = FeedPosition(h)
	o.Tags = contract.SplitTags(string(h.Peek(HeaderTags)))
	return o
}
