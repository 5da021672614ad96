// Package bench holds workload generators (Zipf, trace replay) and load
// scenarios that drive a real pixcdn deployment through its public endpoints
// and report throughput, latency percentiles and hit ratios.
package bench
