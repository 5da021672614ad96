package main

// uploadCommand is a placeholder until its issue lands.
func uploadCommand() command {
	return pendingCommand("upload", "upload images to the origin, resumably, with progress", "#6")
}
