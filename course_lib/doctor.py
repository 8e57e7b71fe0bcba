"""What ``passk doctor`` and the start-here notebook report: versions, device, front end, renderer, layers.

Kept apart from :mod:`course_lib.env` (which only *detects*) so that detection sits below the
chart renderer and the report above it: env <- viz.rendering <- doctor, no cycle.
"""

from __future__ import annotations

from .config import pip_install
from .env import LAYERS, detect_environment, device_description, install_layers, version_of, versions
from .integrations import status as integrations_status
from .viz.rendering import choose_renderer


def report() -> dict[str, str]:
    """Everything ``passk doctor`` and the start-here notebook show, as ordered rows."""
    environment = detect_environment()
    rows = dict(versions())
    rows["environment"] = environment
    try:
        rows["device"] = device_description()
    except Exception as exc:  # torch missing or broken: say so instead of failing
        rows["device"] = f"unavailable ({type(exc).__name__}: {exc})"
    rows["chart renderer"] = choose_renderer(environment)
    rows.update(integrations_status())  # verl plugin / TRL: importable or not
    rows["install layers"] = layers_line()
    return rows


def layers_line() -> str:
    """``core, charts, lab, course (everything)``: the layers (extras) installed, and those that are not."""
    layers = install_layers()
    if layers is None:
        return "unknown (passk-course is not installed as a package: running from a source folder?)"
    have = ["core"] + [e for e, missing in layers.items() if not missing]
    lack = [e for e, missing in layers.items() if missing]
    return ", ".join(have) + (f"; not installed: {', '.join(lack)}" if lack else " (everything)")


def advice() -> tuple[str, int]:
    """What to do about the layers installed, and ``passk doctor``'s exit code.

    0 for a complete install and for a deliberate smaller one (a layer wholly absent: the core
    alone is a supported install); 1 when a layer is half there (its main package installed,
    others missing), which breaks the commands that need it.
    """
    layers = install_layers()
    if layers is None:
        return "", 0
    broken = {e: m for e, m in layers.items() if m and version_of(LAYERS[e]) != "not installed"}
    if broken:
        extra = max(broken, key=list(LAYERS).index)
        return f"The [{extra}] layer is incomplete (missing {', '.join(broken[extra])}): {pip_install(extra)}", 1
    absent = [e for e, m in layers.items() if m]
    if not absent:
        return "", 0
    have = ", ".join(["core"] + [e for e in layers if e not in absent])
    return (
        f"This is a {have} install: the exact estimators, `passk curve` and `passk plan` work. Not installed: "
        f"{', '.join(absent)} (the lab, the notebooks). To add everything the course needs: "
        f"{pip_install(absent[-1])}",
        0,
    )
