"""The result of every operations estimator: an effect with its interval, the raw comparison behind it, and the
reason when it could not be estimated (a missing table, no peak days ...).

Example:
    >>> import pandas as pd
    >>> e = Effect(label="late delivery on review score", unit="points", reason="no reviews table")
    >>> e.ok, e.summary().empty
    (False, True)
    >>> e.plot()
    late delivery on review score: not estimated — no reviews table
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from opslib.operations.stats import CellFit


@dataclass
class Effect:
    """An estimated effect (or several, one per ``terms`` row) with 95 % intervals.

    Attributes: ``label`` (what is estimated), ``unit`` (hours, points, contacts per 100 orders ...),
    ``terms`` (``term``, ``estimate``, ``se``, ``low``, ``high``, ``p``: only the terms of interest; controls
    are left out), ``groups`` (the raw comparison: means per group, for the chart), ``n`` units, ``controls``
    (what the model held fixed), ``cov_type`` (HC1 or clustered), ``reason`` (why not estimated), ``notes``.
    """

    label: str
    unit: str
    terms: pd.DataFrame = field(default_factory=pd.DataFrame)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    n: int = 0
    controls: tuple[str, ...] = ()
    cov_type: str = ""
    reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the effect was estimated."""
        return self.reason is None and not self.terms.empty

    def estimate(self, term: str | None = None) -> float:
        """The point estimate of ``term`` (default: the first term)."""
        row = self.terms.iloc[0] if term is None else self.terms.set_index("term").loc[term]
        return float(row["estimate"])

    def interval(self, term: str | None = None) -> tuple[float, float]:
        """The 95 % interval of ``term`` (default: the first term)."""
        row = self.terms.iloc[0] if term is None else self.terms.set_index("term").loc[term]
        return float(row["low"]), float(row["high"])

    def summary(self) -> pd.DataFrame:
        """One row per term: estimate, interval, p-value, unit, units used and the controls."""
        if not self.ok:
            return pd.DataFrame(columns=["term", "estimate", "low", "high", "p", "unit", "n", "controls"])
        t = self.terms[["term", "estimate", "low", "high", "p"]].copy()
        t["unit"] = self.unit
        t["n"] = self.n
        t["controls"] = ", ".join(self.controls) or "none"
        return t.reset_index(drop=True)

    def describe(self) -> str:
        """One sentence per term, e.g. ``late delivery: -0.71 points (95% CI -0.77 to -0.65), n = 12,477``."""
        if not self.ok:
            return f"{self.label}: not estimated — {self.reason}"
        lines = []
        for r in self.terms.itertuples(index=False):
            lines.append(f"{r.term}: {r.estimate:+.2f} {self.unit} (95% CI {r.low:+.2f} to {r.high:+.2f}), "
                         f"n = {self.n:,}")
        return "\n".join([f"{self.label} — controls: {', '.join(self.controls) or 'none'}; {self.cov_type}",
                          *lines, *self.notes])

    def plot(self):
        """The raw group means and the estimate with its interval (``opslib.plotting.operations.effect_chart``);
        prints the reason instead when not estimated."""
        if not self.ok:
            print(f"{self.label}: not estimated — {self.reason}")
            return None
        from opslib.plotting.operations import effect_chart

        return effect_chart(self.groups, self.summary(), self.label, self.unit)


def terms_of(fit: CellFit, names: dict[str, str]) -> pd.DataFrame:
    """The rows of ``fit`` for the regressors in ``names`` (regressor -> display name), in that order."""
    t = fit.table.set_index("term").reindex(list(names)).reset_index()
    t["term"] = t["term"].map(names)
    return t
