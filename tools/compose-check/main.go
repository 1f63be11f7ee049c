// Command compose-check loads a Compose file the way `docker compose config`
// does, with compose-go (github.com/compose-spec/compose-go/v2, the loader of
// the Docker Compose CLI itself): interpolation from an env file (required
// ${VAR:?} variables included), the Compose specification's JSON schema,
// merging of anchors and extends, and the consistency checks (unknown
// networks, volumes, depends_on targets, ...). tests/deploy runs it on every
// machine, so the check no longer depends on a Compose CLI being installed.
//
//	compose-check -f compose.yaml --env-file .env.example [--json]
//
// Exit status 0: valid (with --json the normalised project is printed, like
// `docker compose config --format json`); 1: the loader's error on stderr;
// 2: bad usage.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	var files, envFiles multi
	flag.Var(&files, "f", "Compose file (repeatable)")
	flag.Var(&envFiles, "env-file", "env file for interpolation (repeatable)")
	asJSON := flag.Bool("json", false, "print the normalised project as JSON")
	flag.Parse()
	if len(files) == 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check -f compose.yaml [--env-file FILE] [--json]")
		os.Exit(2)
	}
	if err := run(files, envFiles, *asJSON); err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
		os.Exit(1)
	}
}

func run(files, envFiles []string, asJSON bool) error {
	dir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		return err
	}
	// Only the env files given: not the caller's environment, so a variable
	// that happens to be exported cannot hide a missing one in the file.
	opts, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(false),
		cli.WithConsistency(true),
	)
	if err != nil {
		return err
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		return err
	}
	if asJSON {
		out, err := project.MarshalJSON()
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(append(out, '\n'))
		return err
	}
	names := project.ServiceNames()
	sort.Strings(names)
	fmt.Printf("%s: project %q, %d services valid\n", files[0], project.Name, len(names))
	return nil
}

type multi []string

func (m *multi) String() string { b, _ := json.Marshal(*m); return string(b) }

func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
