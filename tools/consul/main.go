// Command consul is HashiCorp Consul v1.14.11 (MPL-2.0), built from the Go
// module proxy for the local stack and the functional tests of storefront.
//
// `go install github.com/hashicorp/consul@v1.14.11` is refused because
// Consul's go.mod has replace directives pointing at its in-tree submodules.
// This module depends on Consul instead, so those replaces do not apply and
// the published submodule versions are used; the CLI below is Consul's own
// command table, unchanged. Releases from 1.17 on are BSL-licensed; keep the
// pin on an MPL-2.0 release (scripts/bootstrap checks the licence files).
package main

import (
	"fmt"
	"io"
	"log"
	"os"

	mcli "github.com/mitchellh/cli"

	"github.com/hashicorp/consul/command"
	"github.com/hashicorp/consul/command/cli"
	"github.com/hashicorp/consul/command/version"
	_ "github.com/hashicorp/consul/service_os"
)

func main() {
	// Consul logs through its own loggers; the standard logger would only
	// duplicate library noise.
	log.SetOutput(io.Discard)

	ui := &cli.BasicUI{BasicUi: mcli.BasicUi{Writer: os.Stdout, ErrorWriter: os.Stderr}}
	cmds := command.RegisteredCommands(ui)
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	c := &mcli.CLI{
		Args:        os.Args[1:],
		Commands:    cmds,
		Name:        "consul",
		HelpFunc:    mcli.FilteredHelpFunc(names, mcli.BasicHelpFunc("consul")),
		HelpWriter:  os.Stdout,
		ErrorWriter: os.Stderr,
	}
	if c.IsVersion() {
		os.Exit(version.New(ui).Run(nil))
	}
	code, err := c.Run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "consul: %v\n", err)
		os.Exit(1)
	}
	os.Exit(code)
}
