package main

// edgeCommand is a placeholder until its issue lands.
func edgeCommand() command {
	return pendingCommand("edge", "run an edge node (serves, resizes and caches images)", "#5")
}
