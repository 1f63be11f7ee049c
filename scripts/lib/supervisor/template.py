"""Configuration files from templates (deploy/local/*.tmpl).

A template holds @NAME@ placeholders (the delimiter haproxy.cfg, nginx.conf,
prometheus.yml and consul.hcl leave alone) and optional blocks between the
lines "#NAME-begin" and "#NAME-end": rendering keeps a block's lines (without
the markers) when blocks[NAME] is true and drops them otherwise. A placeholder
left unfilled outside a comment is an error, never a silently broken config."""
from __future__ import annotations

import re
import string
from pathlib import Path
from collections.abc import Mapping


class TemplateError(ValueError):
    pass


class AtTemplate(string.Template):
    # @NAME@ only, no escape: a lone "@" (an address such as "ipv4@") stays as it is.
    delimiter = "@"
    pattern = r"""@(?:(?P<escaped>(?!))|(?P<named>[A-Z][A-Z0-9_]*)@|(?P<braced>(?!))|(?P<invalid>(?!)))"""


_BLOCK = re.compile(r"^#([a-z][a-z0-9_-]*)-(begin|end)$")
_LEFT = re.compile(r"^[^#\n]*@([A-Z][A-Z0-9_]*)@", re.M)


def select_blocks(text: str, blocks: Mapping[str, bool]) -> str:
    out: list[str] = []
    dropping: str | None = None
    for line in text.splitlines(keepends=True):
        marker = _BLOCK.match(line.rstrip("\n"))
        if marker and marker.group(1) in blocks:
            name, edge = marker.groups()
            if edge == "begin":
                dropping = None if blocks[name] else name
            elif dropping == name:
                dropping = None
            continue
        if dropping is None:
            out.append(line)
    return "".join(out)


def render_text(text: str, values: Mapping[str, object], blocks: Mapping[str, bool] | None = None,
                source: str = "template") -> str:
    rendered = AtTemplate(select_blocks(text, blocks or {})).safe_substitute(
        {k: str(v) for k, v in values.items()})
    left = sorted(set(_LEFT.findall(rendered)))
    if left:
        raise TemplateError(f"{source}: no value for {', '.join('@' + n + '@' for n in left)}")
    return rendered


def render_file(template: Path, out: Path, values: Mapping[str, object],
                blocks: Mapping[str, bool] | None = None) -> Path:
    """Renders template into out (written whole, then renamed into place)."""
    text = render_text(template.read_text(), values, blocks, source=str(template))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(out)
    return out
