// Package tusclient is a small tus 1.0 client (core, creation, termination,
// checksum with sha256) for pixcdn's uploads endpoint: the `pixcdn upload`
// command and tests use it. It resumes an interrupted upload from the
// server's offset and retries transient failures. It knows nothing of the
// server's internals.
package tusclient
