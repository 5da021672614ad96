// Package deploy holds how pixcdn is deployed: a kustomize base with a
// local and a production overlay under kubernetes/, and systemd units under
// systemd/. It has no code; its tests check the manifests and units offline
// against the Kubernetes API types, kustomize, and pixcdn's own flag table
// (docs/configuration.md, which cmd/pixcdn's tests keep equal to --help).
package deploy
