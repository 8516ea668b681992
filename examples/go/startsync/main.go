// Command startsync is the Go example: it starts a Veeam organization cache sync
// through syncgate with the client generated from openapi.yaml
// (./syncgate), and waits for its outcome.
//
//	SYNCGATE_URL=http://127.0.0.1:8080 SYNCGATE_TOKEN=<token> go run ./examples/go/startsync -org 62c4ab35-68fb-4a48-ae4d-8103635b9526
//
// It exits 0 when the sync succeeded, 1 when the start was refused for good
// (the problem's detail is printed), the sync failed, or the wait timed out.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/syncgate/syncgate/examples/go/orgsync"
)

func main() {
	opts := orgsync.Options{URL: os.Getenv("SYNCGATE_URL"), Token: os.Getenv("SYNCGATE_TOKEN")}
	flag.StringVar(&opts.URL, "url", opts.URL, "the gateway's base URL (default $SYNCGATE_URL)")
	flag.StringVar(&opts.Organization, "org", "", "the Veeam organization id (a GUID)")
	flag.BoolVar(&opts.Full, "full", false, "a full sync (PowerShell -Full)")
	flag.StringVar(&opts.IdempotencyKey, "key", "", "the Idempotency-Key; give the one a previous run printed to rerun it safely (default: a new one)")
	flag.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "how long to wait for the outcome")
	flag.Parse()
	if opts.URL == "" || opts.Token == "" || opts.Organization == "" {
		fmt.Fprintln(os.Stderr, "usage: SYNCGATE_TOKEN=<token> go run ./examples/go/startsync -url <gateway> -org <organization id> [-full] [-key <key>]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := orgsync.Run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
