package main

// demoCommand is a placeholder until the demo lands.
func demoCommand() command {
	return pendingCommand("demo", "run a local stack: PostgreSQL, MinIO, origin and three edges", "#2")
}
