// Command haven is the Haven server and its tools. Run `haven help`.
package main

import (
	"context"
	"os"

	"github.com/havenvr/haven/server/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
