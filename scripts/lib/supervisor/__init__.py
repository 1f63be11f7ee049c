"""One process supervisor for scripts/stack, the functional fixtures and the
drills (stdlib only: it runs with the system python3 before any venv exists).

    process    Spec, Process: spawn, readiness wait, stop by pid, status, logs
    readiness  TcpPort, HttpOk, Command
    template   render_file: @NAME@ templates with optional blocks
    probes     HAProxy's runtime API, Consul's health view, Prometheus' summary
    __main__   a command line over these (shell scripts, the tests)
    stack      scripts/stack itself: port plan, components, configs, commands"""
import importlib

# Names load their module on first use (PEP 562): `python3 -m supervisor pid`
# imports neither subprocess nor urllib, so a shell loop over components stays fast.
_HOME = {"probes": None, "Process": "process", "Spec": "process", "StartError": "process",
         "read_pid": "process", "signal_number": "process", "tail": "process",
         "Command": "readiness", "HttpOk": "readiness", "TcpPort": "readiness", "http_get": "readiness",
         "port_open": "readiness", "TemplateError": "template", "render_file": "template",
         "render_text": "template"}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'supervisor' has no attribute {name!r}")
    module = importlib.import_module(f".{_HOME[name] or name}", __name__)
    return module if _HOME[name] is None else getattr(module, name)
