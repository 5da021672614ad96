// Package libvips implements transform.Processor over libvips (govips):
// startup settings, an ordered pipeline of small steps, encoders and CPU
// admission. It knows nothing of HTTP, caches or the cluster.
package libvips
