"""What ``passk doctor`` and the start-here notebook report: versions, device, front end, renderer.

Kept apart from :mod:`course_lib.env` (which only *detects*) so that detection sits below the
chart renderer and the report above it: env <- viz.rendering <- doctor, no cycle.
"""

from __future__ import annotations

from .env import detect_environment, device_description, versions
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
    return rows
