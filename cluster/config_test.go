package cluster

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	valid := testConfig("n1")
	if err := valid.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if err := DefaultConfig().Validate(); !errors.Is(err, ErrConfig) {
		t.Fatalf("DefaultConfig without a name must not validate: %v", err)
	}
	cases := map[string]func(*Config){
		"no name":          func(c *Config) { c.NodeName = "" },
		"no internal addr": func(c *Config) { c.InternalAddr = "" },
		"bad bind":         func(c *Config) { c.BindAddr = "localhost" },
		"bad port":         func(c *Config) { c.BindAddr = "127.0.0.1:70000" },
		"bad advertise":    func(c *Config) { c.AdvertiseAddr = "x" },
		"bad seed":         func(c *Config) { c.Seeds = []string{"nope"} },
		"no key":           func(c *Config) { c.SecretKey = nil },
		"short key":        func(c *Config) { c.SecretKey = []byte("short") },
		"load below 1":     func(c *Config) { c.Load = 0.9 },
		"load NaN":         func(c *Config) { c.Load = nan() },
		"no partitions":    func(c *Config) { c.PartitionCount = 0 },
		"no replicas":      func(c *Config) { c.ReplicationFactor = 0 },
		"huge broadcast":   func(c *Config) { c.MaxBroadcastBytes = 5000 },
		"no backlog":       func(c *Config) { c.BroadcastBacklog = 0 },
		"probe timeout":    func(c *Config) { c.Timings.ProbeTimeout = 2 * c.Timings.ProbeInterval },
		"debounce":         func(c *Config) { c.RebuildMaxDelay = 0 },
		"join attempts":    func(c *Config) { c.JoinAttempts = 0 },
	}
	for name, mutate := range cases {
		c := testConfig("n1")
		mutate(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate() = %v, want ErrConfig", name, err)
		}
	}
	insecure := testConfig("n1")
	insecure.SecretKey, insecure.Insecure = nil, true
	if err := insecure.Validate(); err != nil {
		t.Errorf("Insecure without key: %v", err)
	}
}

func nan() float64 { zero := 0.0; return zero / zero }
