package main

import (
	"os"
	"testing"
)

// runMainEnv, set in a child process's environment, makes the test binary
// run main (with the child's arguments, signals and all) instead of the
// tests: how TestSIGTERMAnswersEveryRequestInFlight, TestReplicas and
// TestAuditFileSurvivesKill get `syncgate serve` processes of their own. It is not a SYNCGATE_ variable,
// so the gateway does not warn about it.
const runMainEnv = "GO_TEST_SYNCGATE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
