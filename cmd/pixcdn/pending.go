package main

import (
	"context"
	"fmt"
)

type pendingSettings struct{}

// pendingCommand is a subcommand whose issue has not landed yet: it says so
// and exits non-zero rather than pretending to work.
func pendingCommand(name, summary, issue string) command {
	return command{
		name:        name,
		summary:     summary + " (not built yet)",
		description: fmt.Sprintf("Not built yet: see issue %s.", issue),
		newSettings: func() any { return &pendingSettings{} },
		pending:     true,
		run: func(context.Context, any, []string) error {
			return fmt.Errorf("not built yet: this command lands with issue %s", issue)
		},
	}
}
