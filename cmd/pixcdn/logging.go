package main

import (
	"fmt"
	"io"
	"log/slog"
)

// logSettings are shared by every long-running command.
type logSettings struct {
	LogFormat string `flag:"log-format" enum:"text,json" help:"log line format"`
	LogLevel  string `flag:"log-level" enum:"debug,info,warn,error" help:"lowest level logged"`
}

func defaultLogSettings() logSettings { return logSettings{LogFormat: "text", LogLevel: "info"} }

// newLogger builds the one logger a command passes down to every package.
func (s logSettings) newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.LogLevel)); err != nil {
		return nil, fmt.Errorf("log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
