"""Filling the shipped configuration files under deploy/ (pgbouncer.ini, prometheus.yml):
the tests run the very file an operator fills in production, so a setting that breaks
PgBouncer or Prometheus breaks a test first.

A placeholder is a lowercase name in braces, `{listen_port}`. A value that is a list
repeats every line naming it once per item (one `[databases]` line per database, one
`- target` line per app server); an empty list removes those lines. Every placeholder
must get a value and every value must be used: a renamed placeholder fails loudly instead
of leaving `{listen_port}` in a running config."""

import re
from collections.abc import Mapping
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]
DEPLOY = PROJECT / "deploy"
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def fill(template: str, values: Mapping[str, object]) -> str:
    """`template` with every placeholder replaced (see the module docstring)."""
    wanted = set(PLACEHOLDER.findall(template))
    if missing := wanted - set(values):
        raise KeyError(f"no value for placeholder(s) {sorted(missing)}")
    if unused := set(values) - wanted:
        raise KeyError(f"value(s) for placeholder(s) the template does not have: {sorted(unused)}")
    lines = []
    for line in template.splitlines(keepends=True):
        repeated = {name for name in PLACEHOLDER.findall(line) if isinstance(values[name], list | tuple)}
        if len(repeated) > 1:
            raise ValueError(f"one line may repeat over one list only: {line!r}")
        if not repeated:
            lines.append(_substitute(line, values))
        for name in repeated:
            lines.extend(_substitute(line, {**values, name: item}) for item in values[name])
    return "".join(lines)


def _substitute(line: str, values: Mapping[str, object]) -> str:
    return PLACEHOLDER.sub(lambda match: str(values[match[1]]), line)


def render(template: Path, destination: Path, **values: object) -> Path:
    """Write `template` filled with `values` to `destination`."""
    destination.write_text(fill(template.read_text(), values))
    return destination
