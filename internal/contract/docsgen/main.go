// Command docsgen regenerates docs/ and openapi.yaml from package api's
// swag annotations: `make docs` runs it from the repository root.
package main

import (
	"fmt"
	"os"

	"github.com/syncgate/syncgate/internal/contract"
)

func main() {
	files, err := contract.Generate(".")
	if err == nil {
		err = files.Write(".")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "docsgen:", err)
		os.Exit(1)
	}
}
