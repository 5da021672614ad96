package main

// benchCommand is a placeholder until its issue lands.
func benchCommand() command {
	return pendingCommand("bench", "load-test a pixcdn deployment through its public endpoints", "the load-test tool")
}
