"""The supervisor's command line, for shell scripts and the tests (scripts/stack
itself is Python: `python3 -m supervisor.stack`, in supervisor/stack/):

  python3 -m supervisor start --name N --log FILE --pid-file FILE [--cwd DIR]
          [--ready-tcp PORT | --ready-http URL [--body REGEX] | --ready-cmd 'ARGV' [--expect OUT]]
          [--check-only-env NAME]...
          [--timeout S] [--what TEXT] -- ARGV...
      spawn ARGV detached and wait until it is ready; exit 1 with the log tail if not
  python3 -m supervisor stop --name N --pid-file FILE [--signal TERM] [--grace S]
  python3 -m supervisor pid --pid-file FILE        the pid while it runs, else exit 1
  python3 -m supervisor pids DIR                   "NAME PID" per running DIR/NAME.pid (exit 1: none)
  python3 -m supervisor logs --log FILE [--lines N]
  python3 -m supervisor render [--block NAME=0|1]... TEMPLATE OUT [KEY=VALUE...]
  python3 -m supervisor haproxy SOCKET COMMAND     one command on HAProxy's runtime API
  python3 -m supervisor consul-health PORT SERVICE "ID STATE PORT" per instance (exit 1: no answer)
  python3 -m supervisor prometheus-summary PORT    targets up, firing alerts

Messages go to stderr prefixed with --prefix (default "stack: ")."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from .process import Process, Spec, StartError, read_pid, tail, warn_stderr

# readiness, template and probes are imported by the commands that use them:
# `pid` runs once per component in scripts/stack status and must start fast.


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"{what} must be KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _readiness(args: argparse.Namespace):
    from .readiness import Command, HttpOk, TcpPort
    if args.ready_tcp is not None:
        return TcpPort(args.ready_tcp)
    if args.ready_http is not None:
        return HttpOk(args.ready_http, args.body)
    if args.ready_cmd is not None:
        return Command(tuple(shlex.split(args.ready_cmd)), args.expect)
    return None


def cmd_start(args: argparse.Namespace) -> int:
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise SystemExit("start: no command after --")
    # Secrets the readiness command needs (a password) stay out of the process's environment.
    env = {k: v for k, v in os.environ.items() if k not in args.check_only_env}
    spec = Spec(name=args.name, argv=argv, log_file=Path(args.log), pid_file=Path(args.pid_file),
                env=env, cwd=Path(args.cwd) if args.cwd else None, ready=_readiness(args),
                ready_timeout=args.timeout)
    try:
        Process(spec).start(args.what)
    except StartError as e:
        print(f"{args.prefix}{e}", file=sys.stderr)
        return 1
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    spec = Spec(name=args.name, argv=[], log_file=Path("/dev/null"), pid_file=Path(args.pid_file))
    Process(spec).stop(args.signal, args.grace, warn=warn_stderr(args.prefix))
    return 0


def cmd_pid(args: argparse.Namespace) -> int:
    pid = read_pid(Path(args.pid_file))
    if pid is None:
        return 1
    print(pid)
    return 0


def cmd_pids(args: argparse.Namespace) -> int:
    found = 0
    for pid_file in sorted(Path(args.dir).glob("*.pid")):
        pid = read_pid(pid_file)
        if pid is not None:
            print(pid_file.stem, pid)
            found += 1
    return 0 if found else 1


def cmd_logs(args: argparse.Namespace) -> int:
    if not Path(args.log).exists():
        print(f"{args.prefix}no log {args.log}", file=sys.stderr)
        return 1
    print(tail(Path(args.log), args.lines))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from .template import TemplateError, render_file
    blocks = {k: v not in ("", "0", "false", "no") for k, v in _pairs(args.block, "--block").items()}
    try:
        render_file(Path(args.template), Path(args.out), _pairs(args.values, "a value"), blocks)
    except (OSError, TemplateError) as e:
        print(f"{args.prefix}ERROR: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_haproxy(args: argparse.Namespace) -> int:
    from . import probes
    try:
        sys.stdout.write(probes.haproxy(args.socket, args.haproxy_command))
    except OSError as e:
        print(f"{args.prefix}HAProxy runtime API {args.socket}: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_consul_health(args: argparse.Namespace) -> int:
    from . import probes
    entries = probes.consul_health(args.port, args.service)
    if entries is None:
        return 1
    for entry in entries:
        print(*entry)
    return 0


def cmd_prometheus_summary(args: argparse.Namespace) -> int:
    from . import probes
    print("\n".join(probes.prometheus_summary(args.port)))
    return 0


def add_probe_commands(sub) -> None:
    s = sub.add_parser("haproxy")
    s.add_argument("socket")
    s.add_argument("haproxy_command", metavar="COMMAND")
    s.set_defaults(func=cmd_haproxy)
    s = sub.add_parser("consul-health")
    s.add_argument("port", type=int)
    s.add_argument("service")
    s.set_defaults(func=cmd_consul_health)
    s = sub.add_parser("prometheus-summary")
    s.add_argument("port", type=int)
    s.set_defaults(func=cmd_prometheus_summary)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m supervisor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prefix", default="stack: ")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("start")
    for flag in ("--name", "--log", "--pid-file"):
        s.add_argument(flag, required=True)
    s.add_argument("--cwd")
    s.add_argument("--ready-tcp", type=int)
    s.add_argument("--ready-http")
    s.add_argument("--body", help="regular expression the 200 body must match")
    s.add_argument("--ready-cmd", help="a command line (shell words) that exits 0 once ready")
    s.add_argument("--expect", help="what --ready-cmd must print")
    s.add_argument("--check-only-env", action="append", default=[], metavar="NAME",
                   help="an environment variable for --ready-cmd only, not for ARGV")
    s.add_argument("--timeout", type=float, default=30.0)
    s.add_argument("--what", help="what the timeout message says it waited for")
    s.add_argument("argv", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_start)
    s = sub.add_parser("stop")
    s.add_argument("--name", required=True)
    s.add_argument("--pid-file", required=True)
    s.add_argument("--signal", default="TERM")
    s.add_argument("--grace", type=float, default=20.0)
    s.set_defaults(func=cmd_stop)
    s = sub.add_parser("pid")
    s.add_argument("--pid-file", required=True)
    s.set_defaults(func=cmd_pid)
    s = sub.add_parser("pids")
    s.add_argument("dir")
    s.set_defaults(func=cmd_pids)
    s = sub.add_parser("logs")
    s.add_argument("--log", required=True)
    s.add_argument("--lines", type=int, default=50)
    s.set_defaults(func=cmd_logs)
    s = sub.add_parser("render")
    s.add_argument("template")
    s.add_argument("out")
    s.add_argument("values", nargs="*", metavar="KEY=VALUE")
    s.add_argument("--block", action="append", default=[], metavar="NAME=0|1")
    s.set_defaults(func=cmd_render)
    add_probe_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
