r"""Reading the committed results of the lab: tables, paired comparisons, Holm-corrected verdicts, power.

Pure functions of the JSON files that :mod:`course_lib.lab.compare` (``passk lab compare-methods``),
:mod:`course_lib.lab.tuning` (``passk lab tune``) and :mod:`course_lib.lab.experiments` (``passk lab
prorl``, ``passk lab barakat``) write; notebooks 5 and 6 and the prose of the course cite what
these functions compute. Nothing here changes a number in a results file, so this module is left
out of the files' code hash (:func:`course_lib.lab.methods.code_hash`).

- :func:`values`, :func:`summary` -- one value per seed; mean ± sd per method, base and guesser first;
- :func:`paired` -- a method against GRPO seed by seed (:func:`course_lib.stats.compare_paired`: the
  mean difference, Student-t and paired-bootstrap intervals, the paired t-test, the sign test);
- :func:`verdicts` -- every test of the family recorded in the file (methods x readings x metrics),
  Holm-corrected (:func:`course_lib.stats.holm`): *separated* only if it survives the correction;
  :func:`claim_verdict` -- what the tests say about one paper's directional claim;
- :func:`power_table` -- per metric, the smallest difference detectable with probability 0.8 at the
  Holm level alpha / m, and the seeds a difference of half that would need;
- :func:`tuning_table`, :func:`prorl_table`, :func:`barakat_table`, :func:`prompt_changes`,
  :func:`readings_at`, :func:`mean_curves` -- the other files.
"""

from __future__ import annotations

import numpy as np

from course_lib import stats
from course_lib.lab.diagnostics import mean_sd_text
from course_lib.lab.tuning import score


def _family(results: dict, family: dict | None = None) -> dict:
    """The family of tests: given, else the one recorded in the file, else :data:`course_lib.lab.compare.FAMILY`."""
    if family is not None:
        return family
    if "family" in results.get("provenance", {}):
        return results["provenance"]["family"]
    from course_lib.lab.compare import FAMILY

    return FAMILY


__all__ = [
    "COLUMNS",
    "values",
    "summary",
    "paired",
    "verdicts",
    "claim_verdict",
    "power_table",
    "tuning_table",
    "mean_curves",
    "readings_at",
    "prorl_table",
    "prompt_changes",
    "barakat_table",
]

COLUMNS = (
    ("steps", "steps to target", ".0f"),
    ("seen/pass@1", "seen pass@1", ".3f"),
    ("held/pass@1", "held pass@1", ".3f"),
    ("held/coverage@64", "held coverage@64", ".3f"),
    ("held/coverage@256", "held coverage@256", ".3f"),
    ("held/cover@0.1", "held Cover@0.1", ".2f"),
    ("seen/distinct_correct", "distinct correct (seen, m=32)", ".2f"),
    ("held/k_star", "k* vs base (held)", ".0f"),
)
"""(key in a reading, column title, format) of the summary table."""


def values(results: dict, method: str, reading: str, key: str) -> np.ndarray:
    """One value per seed (in the order of the provenance's seeds) of ``key`` in ``reading``; NaN where None.

    ``reading`` is ``"matched"`` or ``"end"`` (or ``"row"`` for a field of the row itself, e.g. ``steps``).
    """
    by_seed = {r["seed"]: r for r in results["rows"] if r["method"] == method}
    if not by_seed:
        raise ValueError(f"no rows for method {method!r}")
    out = []
    for seed in results["provenance"]["seeds"]:
        row = by_seed[seed]
        v = row[key] if reading == "row" else row[reading][key]
        out.append(np.nan if v is None else float(v))
    return np.array(out)


def summary(results: dict, reading: str = "matched") -> list[dict]:
    """One line per method (mean ± sd over seeds of :data:`COLUMNS` in ``reading``), base and guesser first."""
    out = []
    for name in ("base", "guesser"):
        vals = results["baselines"][name]
        line = {"method": name, "lr": "", "reached": ""}
        for key, title, fmt in COLUMNS:
            v = vals.get(key) if key != "steps" else None
            line[title] = "" if v is None else f"{v:{fmt}}"
        out.append(line)
    n = len(results["provenance"]["seeds"])
    for method, spec in results["provenance"]["methods"].items():
        reached = values(results, method, "row", "reached")
        line = {"method": method, "lr": f"{spec['lr']:g}", "reached": f"{int(reached.sum())}/{n}"}
        for key, title, fmt in COLUMNS:
            v = values(results, method, "row", key) if key == "steps" else values(results, method, reading, key)
            if key == "steps":
                v = v[reached.astype(bool)]
            none = int(np.isnan(v).sum())
            v = v[~np.isnan(v)]
            text = f"{v.mean():{fmt}} ± {v.std(ddof=1) if len(v) > 1 else 0:{fmt}}" if len(v) else ""
            line[title] = (text + (f" ({none} none ≤ 1024)" if none and key.endswith("k_star") else "")).strip()
        out.append(line)
    return out


def paired(results: dict, method: str, reading: str, key: str, reference: str = "grpo", **kw):
    """:func:`course_lib.stats.compare_paired` of ``method`` against ``reference`` on one metric, seed by seed."""
    a, b = values(results, method, reading, key), values(results, reference, reading, key)
    keep = ~(np.isnan(a) | np.isnan(b))
    return stats.compare_paired(a[keep], b[keep], **kw)


def verdicts(results: dict, family: dict | None = None) -> list[dict]:
    """Every test of ``family``: the paired comparison, its Holm-adjusted p-value and whether it is separated.

    One dict per (method, reading, metric): ``mean`` (method minus reference), ``t_interval``,
    ``boot_interval``, ``p``, ``p_holm``, ``separated`` (``p_holm <= alpha``), ``above``/``below``
    (seeds), ``sd`` of the differences and the ``detectable`` difference (power 0.8 at alpha / m).
    """
    family = _family(results, family)
    ref = family["reference"]
    tests = []
    for method in results["provenance"]["methods"]:
        if method == ref:
            continue
        for reading in family["readings"]:
            for key in family["metrics"]:
                c = paired(results, method, reading, key, ref)
                tests.append({"method": method, "reading": reading, "metric": key, "comparison": c})
    m = len(tests)
    adjusted, reject = stats.holm([t["comparison"].p for t in tests], family["alpha"])
    level = family["alpha"] / m
    out = []
    for t, p_holm, sep in zip(tests, adjusted, reject, strict=True):
        c = t["comparison"]
        out.append(
            {
                "method": t["method"],
                "reading": t["reading"],
                "metric": t["metric"],
                "mean": c.mean,
                "sd": c.sd,
                "t_interval": c.t_interval,
                "boot_interval": c.boot_interval,
                "p": c.p,
                "p_holm": float(p_holm),
                "separated": bool(sep),
                "above": c.above,
                "below": c.below,
                "sign_p": c.sign_p,
                "detectable": stats.detectable_effect(c.sd, c.n, level) if c.sd > 0 else 0.0,
                "tests": m,
            }
        )
    return out


def claim_verdict(tests: list[dict], method: str, direction: int | None, metric: str) -> str:
    """What the Holm-corrected tests of ``method`` on ``metric`` say about a claim that it goes ``direction``.

    ``direction`` +1 (the paper says the method raises the metric against GRPO), -1 (lowers it) or
    None (no directional claim on it). "agrees" / "disagrees" need a separated test in that / the
    other direction at one reading and none the other way at the other; "mixed" if the readings
    separate in opposite directions; else "not separated".

    Examples
    --------
    >>> t = [{"method": "a", "metric": "m", "reading": "end", "separated": True, "mean": 0.2},
    ...      {"method": "a", "metric": "m", "reading": "matched", "separated": False, "mean": 0.1}]
    >>> claim_verdict(t, "a", +1, "m"), claim_verdict(t, "a", -1, "m"), claim_verdict(t, "a", None, "m")
    ('agrees', 'disagrees', 'no directional claim')
    """
    if direction is None:
        return "no directional claim"
    signs = {np.sign(t["mean"]) for t in tests if t["method"] == method and t["metric"] == metric and t["separated"]}
    if not signs:
        return "not separated"
    if len(signs) > 1:
        return "mixed"
    return "agrees" if signs.pop() == np.sign(direction) else "disagrees"


def power_table(
    results: dict, family: dict | None = None, target: float = 0.8, tests: list | None = None
) -> list[dict]:
    """Per metric and reading: the median sd of the paired differences, the detectable difference at the
    Holm level alpha / m with probability ``target``, and the seeds needed to detect a difference of half that.
    """
    family = _family(results, family)
    rows = verdicts(results, family) if tests is None else tests
    m, n = rows[0]["tests"], len(results["provenance"]["seeds"])
    level = family["alpha"] / m
    out = []
    for reading in family["readings"]:
        for key in family["metrics"]:
            sds = [r["sd"] for r in rows if r["reading"] == reading and r["metric"] == key and r["sd"] > 0]
            line = {"reading": reading, "metric": key, "level": level}
            if not sds:  # no method's difference from the reference varies over seeds
                out.append(line | {"median sd of differences": 0.0})
                continue
            sd = float(np.median(sds))
            d = stats.detectable_effect(sd, n, level, target)
            out.append(
                line
                | {
                    "median sd of differences": sd,
                    "detectable difference": d,
                    "power at that difference / 2": stats.power(d / 2, sd, n, level),
                    "seeds for difference / 2": stats.seeds_needed(d / 2, sd, level, target),
                }
            )
    return out


def tuning_table(results: dict) -> list[dict]:
    """One line per method: the score at every rate ("mean steps (reached/seeds)"), the chosen one marked *."""
    budget = results["provenance"]["config"]["steps"]
    out = []
    for method, best in results["best"].items():
        line = {"method": method}
        for lr in sorted(results["rates"]):
            runs = [r for r in results["rows"] if r["method"] == method and r["lr"] == lr]
            s = score([r["steps"] for r in runs], [r["reached"] for r in runs], budget)
            reached = sum(r["reached"] for r in runs)
            line[f"{lr:g}"] = f"{s:.0f} ({reached}/{len(runs)})" + (" *" if lr == best["lr"] else "")
        out.append(line)
    return out


def prompt_changes(results: dict, arm: str, reference: str = "grpo", when: int = -1) -> dict:
    """Which seen prompts an arm lost pass@1 on, at evaluation ``when`` (default the last), per seed.

    Returns arrays (seeds x prompts): ``p`` (the arm's exact pass@1 per prompt), ``ref`` (the
    reference arm's, same seed), ``start`` (the base model's, broadcast), ``fell`` (p below the
    start), ``behind`` (p below the reference's), and ``high`` (prompts whose base pass@1 is above
    the median: those a pass@k objective down-weights).
    """

    def per_prompt(name):
        rows = sorted((r for r in results["rows"] if r["arm"] == name), key=lambda r: r["seed"])
        return np.array([r["trajectory"]["seen/p"][when] for r in rows], dtype=float)

    p, ref = per_prompt(arm), per_prompt(reference)
    start = np.broadcast_to(np.asarray(results["base_seen_p"]), p.shape)
    return {
        "p": p,
        "ref": ref,
        "start": start,
        "fell": p < start - 1e-9,
        "behind": p < ref - 1e-9,
        "high": start > np.median(results["base_seen_p"]),
    }


def mean_curves(results: dict, method: str, temperature, prefix: str = "held") -> np.ndarray:
    """The mean over seeds of a method's exact pass@k curve at a sampling temperature (at ``CURVE_KS``)."""
    rows = [r for r in results["rows"] if r["method"] == method]
    return np.mean([r["temperatures"][str(float(temperature))][f"{prefix}/curve"] for r in rows], axis=0)


def readings_at(results: dict, arm: str) -> dict:
    """``{step: [reading per seed]}`` of a prolonged arm: every quarter of the run and the end."""
    rows = sorted((r for r in results["rows"] if r["arm"] == arm), key=lambda r: r["seed"])
    steps = [*results["provenance"]["read_at"], results["provenance"]["config"]["steps"]]
    return {s: [r["at"][str(s)] if str(s) in r.get("at", {}) else r["end"] for r in rows] for s in steps}


def prorl_table(results: dict) -> list[dict]:
    """One line per (arm, step): pass@1, held coverage@256, and the seeds at or above the base at every k."""
    out = []
    for arm in results["provenance"]["design"]["arms"]:
        for step, reads in readings_at(results, arm).items():
            n = len(reads)
            out.append(
                {
                    "arm": arm,
                    "step": step,
                    "seen pass@1": mean_sd_text([r["seen/pass@1"] for r in reads]),
                    "held pass@1": mean_sd_text([r["held/pass@1"] for r in reads]),
                    "held coverage@256": mean_sd_text([r["held/coverage@256"] for r in reads]),
                    "held: >= base at every k <= 1024": f"{sum(r['held/k_star'] is None for r in reads)}/{n}",
                    "seen: >= base at every k <= 1024": f"{sum(r['seen/k_star'] is None for r in reads)}/{n}",
                }
            )
    return out


def barakat_table(results: dict) -> list[dict]:
    """One line per arm: seen pass@1 at the start, its lowest point and its end; prompts that lost pass@1."""
    start = float(np.mean(results["base_seen_p"]))
    out = []
    for arm in results["provenance"]["design"]["arms"]:
        rows = sorted((r for r in results["rows"] if r["arm"] == arm), key=lambda r: r["seed"])
        lowest = [min(r["trajectory"]["seen/pass@1"]) for r in rows]
        end = [r["end"]["seen/pass@1"] for r in rows]
        ch = prompt_changes(results, arm)
        fell = ch["fell"].sum(1)
        high_share = ch["fell"][ch["high"]].sum() / max(1, ch["fell"].sum())
        out.append(
            {
                "arm": arm,
                "seen pass@1 start": f"{start:.3f}",
                "lowest seen pass@1": mean_sd_text(lowest),
                "seen pass@1 end": mean_sd_text(end),
                "seeds ending below start": f"{sum(e < start for e in end)}/{len(end)}",
                "prompts below start (end, per seed)": mean_sd_text(fell),
                "share of those with high base pass@1": f"{high_share:.2f}",
            }
        )
    return out
