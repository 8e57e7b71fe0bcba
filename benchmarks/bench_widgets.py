"""Kernel-side cost of one slider change in each chapter-3 explorer (target: <= 50 ms).

For every explorer it sweeps one control over many values with throttling off and times,
per change, what the kernel does: recompute the tables, the readout, and the new chart
data, plus JSON-encoding the state update that goes to the browser (as ipywidgets does).
Both drawing paths are measured: the persistent chart widget (JupyterLab, Binder, VS Code)
and the Output widget redrawn with the HTML renderer (Colab, Kaggle).

Run: ``python benchmarks/bench_widgets.py``. Prints median, 95th percentile and maximum in
milliseconds, and the size of the update message (median and largest).
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time

import altair as alt
import ipywidgets
import numpy as np

from course_lib.viz import widgets

TARGET_MS = 50.0
SWEEPS = {  # explorer, control, values visited one after the other
    "alpha (p)": (widgets.alpha_explorer, "p", np.round(np.linspace(0, 1, 101), 2)),
    "alpha (k set)": (widgets.alpha_explorer, "ks", [(1,), (1, 2), (1, 2, 4), (1, 2, 4, 8, 16, 32, 64)] * 10),
    "estimator (n)": (widgets.estimator_explorer, "n", list(range(1, 101))),
    "estimator (p)": (widgets.estimator_explorer, "p", np.round(np.linspace(0, 1, 101), 2)),
    "zero signal (p)": (widgets.zero_signal_explorer, "p", np.geomspace(1e-3, 1, 61)),
    "advantage (c)": (widgets.advantage_explorer, "c", [0, 1, 2, 3, 4, 5, 6, 7, 8] * 6),
    "mixture (k)": (widgets.mixture_explorer, "k", list(range(1, 257, 3))),
}


def _sweep(make, control: str, values, use_widget: bool) -> tuple[list[float], list[int]]:
    ex = make(use_widget=use_widget, throttle_s=0)
    pane = ex.pane.widget
    times, sizes = [], []
    for value in values:
        base_before = pane.base if use_widget else None
        t0 = time.perf_counter()
        ex.controls[control].value = value.item() if hasattr(value, "item") else value  # triggers refresh()
        # what one change sends: the chart widget sends the datasets that changed (and the
        # others only when that set itself changed)
        if use_widget:
            state = {"datasets": pane.datasets, **({"base": pane.base} if pane.base is not base_before else {})}
        else:
            state = {"outputs": pane.outputs}
        state["readout"] = ex.readout.value
        message = json.dumps(state)
        times.append((time.perf_counter() - t0) * 1e3)
        sizes.append(len(message))
    return times, sizes


def main() -> int:
    print(
        f"python {platform.python_version()}, ipywidgets {ipywidgets.__version__}, altair {alt.__version__}, "
        f"{platform.machine()}"
    )
    worst = 0.0
    for use_widget, label in ((True, "chart widget (JupyterLab/Binder/VS Code)"), (False, "Output + HTML (Colab)")):
        before = alt.renderers.active
        alt.renderers.enable("jupyter" if use_widget else "colab")
        print(f"\n{label}: kernel ms per slider change")
        print(
            f"{'explorer (control)':20s} {'changes':>7s} {'median':>7s} {'p95':>7s} {'max':>7s}"
            f" {'msg KB (median/max)':>20s}"
        )
        for name, (make, control, values) in SWEEPS.items():
            times, sizes = _sweep(make, control, values, use_widget)
            p95 = float(np.percentile(times, 95))
            worst = max(worst, p95)
            print(
                f"{name:20s} {len(times):7d} {statistics.median(times):7.1f} {p95:7.1f} {max(times):7.1f} "
                f"{statistics.median(sizes) / 1024:12.1f} /{max(sizes) / 1024:6.1f}"
            )
        alt.renderers.enable(before)
    verdict = "OK" if worst <= TARGET_MS else "OVER TARGET"
    print(f"\nworst 95th percentile: {worst:.1f} ms (target <= {TARGET_MS:.0f} ms): {verdict}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
