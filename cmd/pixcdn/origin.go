package main

// originCommand is a placeholder until its issue lands.
func originCommand() command {
	return pendingCommand("origin", "run the origin service (uploads, metadata, originals, event feed)", "#6")
}
