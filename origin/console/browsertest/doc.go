// Package browsertest holds the web console's real-browser tests: a
// headless Chromium (testenv.Browser) drives the console served by a real
// `pixcdn origin` process over PostgreSQL and MinIO, with thumbnails and
// previews from a real `pixcdn edge`, and the tests check what the pages
// do through the DOM, the DevTools protocol's network events and the API.
// With PIXCDN_SCREENSHOTS=1 they also write the console's screenshots to
// docs/screenshots/. It has no non-test code.
package browsertest
