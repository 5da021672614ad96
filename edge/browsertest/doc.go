// Package browsertest holds the edge's real-browser tests: a headless
// Chromium (testenv.Browser) loads what a real `pixcdn edge` process
// (testenv.StartLoneEdge, built with cgo and libvips) serves on loopback
// from a dir: origin, and the tests watch what the browser does through
// the DevTools protocol. It has no non-test code.
package browsertest
