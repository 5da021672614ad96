// Package browsertest holds the edge's real-browser tests: a headless
// Chromium (testenv.Browser) loads what a real `pixcdn edge` process
// (testenv.StartLoneEdge, built with cgo and libvips) serves on loopback
// from a dir: origin, and the tests watch what the browser does through
// the DevTools protocol. It has no non-test code.
//
// The tests: formats_test.go (an <img> of an fm=auto URL arrives as JPEG
// XL, AVIF or WebP as the browser's Accept says), revalidate_test.go (a
// reload sends If-None-Match and gets 304; srcset at DPR 2 fetches the 2×
// width), clienthints_test.go (dpr=auto over HTTPS follows the emulated
// DPR), xss_test.go (hostile SVG and HTML files run no script),
// clusterpage_test.go (the live /_cluster page of a three-node cluster,
// and its screenshot in docs/screenshots/ with PIXCDN_SCREENSHOTS=1);
// netwatch_test.go records what a tab sent and received.
package browsertest
