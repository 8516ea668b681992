// Command syncgate is the syncgate gateway: an HTTP REST gateway that starts
// Veeam Backup for Microsoft 365 organization cache syncs and Microsoft Graph
// synchronization jobs safely. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "syncgate:", err)
		os.Exit(1)
	}
}
