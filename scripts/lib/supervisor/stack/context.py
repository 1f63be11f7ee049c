"""The run directory's settings and the messages every command prints.

$STACK_RUN_DIR/stack.env keeps BASE_PORT, INSTANCES and STOREFRONT_BIN of the
last `up` (shell-quoted KEY=VALUE lines: a running stack keeps them);
secrets.env (mode 0600) the Redis ACL passwords, made once per run dir."""
from __future__ import annotations

import os
import re
import secrets
import shlex
import sys
import time
from pathlib import Path

from .. import process
from . import plan

REPO = Path(os.path.abspath(__file__)).parents[4]
SECRET_NAMES = ("REDIS_ADMIN_PASSWORD", "REDIS_STOREFRONT_PASSWORD", "REDIS_EXPORTER_PASSWORD")
_T0 = time.monotonic()


class Die(SystemExit):
    """A fatal error: "stack: ERROR: ..." on stderr, exit 1."""

    def __init__(self, message: str):
        print(f"stack: ERROR: {message}", file=sys.stderr, flush=True)
        super().__init__(1)


def log(message: str) -> None:
    print(f"stack: {message}", flush=True)


def warn(message: str) -> None:
    print(f"stack: {message}", file=sys.stderr, flush=True)


def elapsed() -> int:
    """Whole seconds since the command started (bash's $SECONDS)."""
    return int(time.monotonic() - _T0)


def step(message: str) -> None:
    """A progress line of `up`."""
    print(f"stack: [{elapsed():>3}s] {message}", flush=True)


def env_int(name: str, default: int) -> int:
    """A numeric setting of the environment (STACK_DRAIN_DELAY_MS, ...)."""
    value = os.environ.get(name) or str(default)
    if not value.isdigit():
        raise Die(f"{name} must be a whole number (got '{value}')")
    return int(value)


def absolute(path: str) -> str:
    """Relative to the caller's working directory, as the shell's $PWD/path."""
    if path.startswith("/"):
        return path
    cwd = os.environ.get("PWD", "")
    if not cwd.startswith("/") or not os.path.samefile(cwd, "."):
        cwd = os.getcwd()
    return f"{cwd}/{path}"


def read_assignments(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (values shell-quoted or plain) of stack.env / secrets.env."""
    values = {}
    for line in path.read_text().splitlines():
        key, sep, raw = line.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            words = shlex.split(raw)
            values[key] = words[0] if words else ""
    return values


class Stack:
    """One run directory and the settings of the stack in it."""

    def __init__(self):
        self.repo = REPO
        self.cache = Path(os.environ.get("STOREFRONT_CACHE") or f"{REPO}/.cache")
        self.run_dir = Path(absolute(os.environ.get("STACK_RUN_DIR") or f"{REPO}/.run/stack"))
        self.state_file = self.run_dir / "stack.env"
        self.secrets_file = self.run_dir / "secrets.env"
        # Built by scripts/bootstrap (tools/prometheus): Debian's has no Consul SD.
        self.prometheus_bin = self.cache / "bin" / "prometheus"
        self.promtool_bin = self.cache / "bin" / "promtool"
        self.base_port, self.instances, self.storefront_bin = 8080, 3, ""
        self.ports = plan.Ports(self.base_port, self.instances)
        self.secrets: dict[str, str] = {}
        self._lock = None

    # ------------------------------------------------------------ paths
    def pid_file(self, name: str) -> Path:
        return self.run_dir / "pids" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.run_dir / "logs" / f"{name}.log"

    def consul_bin(self) -> str:
        return os.environ.get("CONSUL_BIN") or str(self.cache / "bin" / "consul")

    # ------------------------------------------------------------ processes
    def running(self) -> dict[str, int]:
        """NAME -> pid of every component whose recorded process still runs."""
        found = {}
        for pid_file in sorted((self.run_dir / "pids").glob("*.pid")):
            pid = process.read_pid(pid_file)
            if pid is not None:
                found[pid_file.stem] = pid
        return found

    def pid(self, name: str) -> int | None:
        return process.read_pid(self.pid_file(name))

    def alive(self, name: str) -> bool:
        return self.pid(name) is not None

    # ------------------------------------------------------------ settings
    def load(self) -> None:
        """The settings of the stack: a running one keeps those it was started
        with; a stopped one takes the environment, then the last run's, then
        the defaults. Dies on a conflict or an invalid value."""
        want_base = os.environ.get("STACK_BASE_PORT", "")
        want_n = os.environ.get("STACK_INSTANCES", "")
        want_bin = self._wanted_binary()
        saved = read_assignments(self.state_file) if self.state_file.is_file() else {}
        base, n, binary = saved.get("BASE_PORT", ""), saved.get("INSTANCES", ""), saved.get("STOREFRONT_BIN", "")
        if base and self.running():
            self._must_match(want_base, base, f"runs on base port {base} (STACK_BASE_PORT={want_base})")
            self._must_match(want_n, n, f"runs {n} instances (STACK_INSTANCES={want_n})")
            self._must_match(want_bin, binary, f"runs {binary}")
        else:
            base = want_base or base or "8080"
            n = want_n or n or "3"
            binary = want_bin or f"{self.repo}/build-release/storefront"
        self._validate(base, n)
        self.base_port, self.instances, self.storefront_bin = int(base), int(n), binary
        self.ports = plan.Ports(self.base_port, self.instances)
        if self.secrets_file.is_file():
            self.load_secrets()

    @staticmethod
    def _wanted_binary() -> str:
        build_dir = os.environ.get("STOREFRONT_BUILD_DIR", "")
        if not build_dir:
            return ""
        if not os.path.isdir(build_dir):
            raise Die(f"STOREFRONT_BUILD_DIR={build_dir} does not exist")
        return f"{os.path.abspath(absolute(build_dir))}/storefront"

    def _must_match(self, wanted: str, running: str, what: str) -> None:
        if wanted and wanted != running:
            raise Die(f"the stack in {self.run_dir} {what}; run 'down' first")

    @staticmethod
    def _validate(base: str, n: str) -> None:
        if not re.fullmatch(r"[0-9]+", base) or int(base) < 1024 or int(base) + plan.HIGHEST_OFFSET > 65535:
            raise Die(f"STACK_BASE_PORT must be a number from 1024 to {65535 - plan.HIGHEST_OFFSET} "
                      f"(ports up to base+{plan.HIGHEST_OFFSET} are used)")
        if not re.fullmatch(r"[1-9]", n):
            raise Die(f"STACK_INSTANCES must be 1..{plan.MAX_INSTANCES}")
        try:
            ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            ephemeral = 32768
        top = int(base) + plan.HIGHEST_OFFSET
        if top >= ephemeral:
            warn(f"warning: ports up to {top} reach the ephemeral range ({ephemeral}+): outgoing connections "
                 f"may take them; prefer STACK_BASE_PORT <= {ephemeral - plan.HIGHEST_OFFSET - 1}")

    def save(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(f"BASE_PORT={self.base_port}\nINSTANCES={self.instances}\n"
                                   f"STOREFRONT_BIN={shlex.quote(self.storefront_bin)}\n")

    def set_instances(self, n: int) -> None:
        self.instances = n
        self.ports = plan.Ports(self.base_port, n)

    # ------------------------------------------------------------ secrets
    def ensure_secrets(self) -> None:
        """The Redis ACL passwords of this run dir, made once and kept (a
        restarted node must accept the same storefront password)."""
        if not self.secrets_file.is_file():
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.writelines(f"{name}={secrets.token_hex(16)}\n" for name in SECRET_NAMES)
        self.load_secrets()

    def load_secrets(self) -> None:
        values = read_assignments(self.secrets_file)
        self.secrets = {name: values.get(name, "") for name in SECRET_NAMES}

    # ------------------------------------------------------------ lock
    def lock(self) -> None:
        """One changing command per run dir at a time (a second `up` waits)."""
        import fcntl
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        # Not inherited by the processes started (PEP 446): they must not hold it.
        self._lock = open(self.run_dir / ".lock", "w")
        deadline = time.monotonic() + 900
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Die(f"another scripts/stack command holds {self.run_dir}/.lock") from None
                time.sleep(0.2)
