"""python3 -m supervisor.stack COMMAND [ARGS]: what scripts/stack runs (its
comment block is the usage)."""
from __future__ import annotations

import signal
import sys

from . import commands, rotation
from .context import REPO, Stack


def usage() -> str:
    """The comment block at the top of scripts/stack, without the '# '."""
    lines = (REPO / "scripts" / "stack").read_text().splitlines()[1:]
    block = []
    for line in lines:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(block)


def arg(argv: list[str], i: int, default: str = "") -> str:
    return argv[i] if len(argv) > i else default


def dispatch(st: Stack, argv: list[str]) -> int | None:
    """The command's exit code; None for an unknown command."""
    command = arg(argv, 0)
    table = {"up": lambda: commands.cmd_up(st),
             "down": lambda: commands.cmd_down(st, arg(argv, 1) == "--purge"),
             "status": lambda: commands.cmd_status(st),
             "restart-instance": lambda: rotation.cmd_restart_instance(st, arg(argv, 1)),
             "scale": lambda: rotation.cmd_scale(st, arg(argv, 1)),
             "start": lambda: commands.cmd_start(st, arg(argv, 1)),
             "stop": lambda: commands.cmd_stop(st, arg(argv, 1), arg(argv, 2, "TERM") or "TERM"),
             "env": lambda: commands.cmd_env(st),
             "audit": lambda: commands.cmd_audit(st),
             "logs": lambda: commands.cmd_logs(st, arg(argv, 1))}
    return table[command]() if command in table else None


def main(argv: list[str]) -> int:
    # A closed pipe (scripts/stack help | head) ends the command quietly, as it ends a shell's.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if arg(argv, 0) in ("-h", "--help", "help"):
        print(usage())
        return 0
    code = dispatch(Stack(), argv)
    if code is None:
        print(usage(), file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
