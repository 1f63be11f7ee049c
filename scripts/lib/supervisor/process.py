"""One supervised process: spawn (own session, output appended to its log),
readiness wait, stop by signal with escalation to SIGKILL, status and logs.

A process started with a pid file is recorded there as "<pid> <start time>"
(field 22 of /proc/<pid>/stat), so another invocation (scripts/stack status,
stop, ...) can find it again. It counts as running only while both still
match: a pid the system reused after a crash is never signalled."""
from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

Check = Callable[[], bool]


class StartError(RuntimeError):
    """The process exited or did not become ready in time; the message ends
    with the last lines of its log."""


class Spec:
    """What to run: argv with its log (appended to), optional pid file, env
    (None: inherit), working directory and readiness check. `detach` gives it
    its own session, so a terminal's Ctrl-C does not reach it. (A plain class:
    see readiness.py on import time.)"""

    def __init__(self, name: str, argv: list[str], log_file: Path, pid_file: Path | None = None,
                 env: dict[str, str] | None = None, cwd: Path | None = None, ready: Check | None = None,
                 ready_timeout: float = 30.0, detach: bool = True):
        self.name, self.argv, self.log_file, self.pid_file = name, list(argv), log_file, pid_file
        self.env, self.cwd, self.ready, self.ready_timeout = env, cwd, ready, ready_timeout
        self.detach = detach


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (the comm field may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(") ")[2].split()


def start_time(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def read_pid(pid_file: Path) -> int | None:
    """The recorded pid while that very process still runs (not a zombie)."""
    try:
        pid_text, _, recorded = pid_file.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    fields = _proc_stat(pid)
    if not fields or len(fields) <= 19 or fields[19] != recorded.strip():
        return None
    return None if fields[0] in ("Z", "X") else pid


def signal_number(name: str | int) -> int:
    """TERM, SIGTERM, 15 -> 15."""
    if isinstance(name, int) or str(name).isdigit():
        return int(name)
    text = str(name).upper()
    return int(getattr(signal, text if text.startswith("SIG") else "SIG" + text))


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Process:
    """A Spec, started at most once per object; stop() is idempotent. A process
    this object spawned is also waited for (its exit code is kept); one found
    through the pid file is polled."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.popen = None  # subprocess.Popen once spawned (imported then: see readiness.py)

    # ------------------------------------------------------------ start
    def spawn(self) -> int:
        import subprocess
        spec = self.spec
        spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(spec.log_file, "ab") as log:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            log.write(f"\n==== {stamp} start: {' '.join(spec.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(spec.argv, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, env=spec.env, cwd=spec.cwd,
                                          start_new_session=spec.detach)
        if spec.pid_file is not None:
            spec.pid_file.parent.mkdir(parents=True, exist_ok=True)
            spec.pid_file.write_text(f"{self.popen.pid} {start_time(self.popen.pid) or ''}\n")
        return self.popen.pid

    def wait_ready(self, what: str | None = None, check: Check | None = None,
                   timeout: float | None = None) -> None:
        """Polls the readiness check (the spec's unless given) every 0.2 s until
        it passes; StartError when the process exits first or time runs out."""
        check = check or self.spec.ready
        timeout = self.spec.ready_timeout if timeout is None else timeout
        if check is None:
            return
        deadline = time.monotonic() + timeout
        while not check():
            if not self.alive():
                code = self.popen.poll() if self.popen else None
                raise self._start_error(f"{self.spec.name} exited (code {code}) before it was ready")
            if time.monotonic() >= deadline:
                raise self._start_error(f"timed out after {timeout:g}s waiting for {what or check}")
            time.sleep(0.2)

    def start(self, what: str | None = None) -> int:
        """spawn() + wait_ready(); on failure the process is stopped again."""
        pid = self.spawn()
        try:
            self.wait_ready(what)
        except StartError:
            self.stop(grace=5)
            raise
        return pid

    def _start_error(self, message: str) -> StartError:
        return StartError(f"{message}\n--- last lines of {self.spec.log_file}\n{tail(self.spec.log_file)}")

    # ------------------------------------------------------------ state
    @property
    def pid(self) -> int | None:
        if self.popen is not None:
            return self.popen.pid if self.popen.poll() is None else None
        return read_pid(self.spec.pid_file) if self.spec.pid_file else None

    def alive(self) -> bool:
        return self.pid is not None

    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def send(self, sig: int | str) -> None:
        pid = self.pid
        if pid is not None:
            os.kill(pid, signal_number(sig))

    def log_tail(self, lines: int = 50) -> str:
        return tail(self.spec.log_file, lines)

    # ------------------------------------------------------------ stop
    def stop(self, sig: int | str = signal.SIGTERM, grace: float = 15.0,
             warn: Callable[[str], None] | None = None) -> int | None:
        """Signals the process (after SIGCONT, so a paused one can act on it),
        waits up to `grace` seconds, then SIGKILL. Removes the pid file.
        Returns the exit code when this object spawned it."""
        pid = self.pid
        if pid is not None:
            number = signal_number(sig)
            self._signal(pid, signal.SIGCONT if number != signal.SIGSTOP else None)
            self._signal(pid, number)
            if not self._wait_gone(grace):
                if warn:
                    warn(f"{self.spec.name} (pid {pid}) still running {grace:g}s after "
                         f"SIG{signal.Signals(number).name[3:]}, sending SIGKILL")
                self._signal(pid, signal.SIGKILL)
                self._wait_gone(5)
        if self.spec.pid_file is not None:
            self.spec.pid_file.unlink(missing_ok=True)
        return self.returncode()

    @staticmethod
    def _signal(pid: int, sig: int | None) -> None:
        if sig is None:
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _wait_gone(self, seconds: float) -> bool:
        if self.popen is not None:
            import subprocess
            try:
                self.popen.wait(seconds)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + seconds
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True


def warn_stderr(prefix: str) -> Callable[[str], None]:
    return lambda line: print(f"{prefix}{line}", file=sys.stderr, flush=True)
