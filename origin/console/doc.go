// Package console is the origin's web console: small HTML, CSS and
// JavaScript pages, embedded in the binary, served under /console/. A person
// signs in with an API key (kept in the tab's sessionStorage and sent as
// Authorization: Bearer to the origin's API, never as a cookie), browses
// the tenant's images with thumbnails from an edge, edits an image's tags,
// metadata and visibility, builds and previews edge URLs (signed by the
// origin's POST /v1/{tenant}/sign when the image is signed), deletes and
// purges, and uploads files resumably with tus-js-client.
//
// The pages run under a strict Content-Security-Policy (scripts and styles
// from /console/ only, images and fetches also from the configured edge,
// no framing). tus-js-client is third-party code and is not in the
// repository: it is installed by `make deps` (npm ci in origin/console/npm)
// and served from Config.AssetsDir at /console/vendor/tus.min.js.
//
// The package owns the pages and their headers; it knows nothing of keys,
// images or storage: everything the pages do goes through the public API.
package console
