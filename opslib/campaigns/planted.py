"""Plant a known campaign into real orders, to check the evaluation where the truth is known.

The sample shop's truth is planted by its generator; a real export has no truth. To see how well
:func:`~opslib.campaigns.evaluation.evaluate_campaign` does on *your* shop, plant an effect of known size into
your own order lines and evaluate it like any campaign (the accuracy bench, ``benchmarks/bench_campaigns.py``,
does this on three public data sets):

* in the window, every non-cancelled line of a scoped SKU gets ``q' = R(q (1 + uplift))`` units and the
  campaign price ``round(unit_price (1 - discount), 2)``;
* on the ``j``-th of the ``P = pull_forward_days`` days after it (``j = 1 .. P``) the lines get
  ``q' = R(q m_j)`` with ``m_j = 1 - D (1 - (j - 1) / P)`` (``D = pull_forward_depth``; lines left with 0 units
  are dropped): customers who bought early buy less afterwards;

where ``R(x) = floor(x) + Bernoulli(x - floor(x))`` rounds at random, so the expectation is exact and the
quantities stay whole. The truth is what was actually added: ``uplift_units = sum(q' - q)`` over the window
lines (the evaluation estimates observed minus counterfactual, and the counterfactual estimates ``sum q``);
``pull_forward_units = sum(q - q')`` over the days after.

:func:`scale_quantities` multiplies every quantity by a whole factor, to test the evaluation at another level
(units a day) of the same series.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from opslib.campaigns.table import Campaign, parse_scope, scope_skus
from opslib.data.contract import CAMPAIGNS, SCOPE_SEPARATOR


@dataclass
class PlantedCampaign:
    """What :func:`plant_campaign` planted.

    ``campaign_id``, ``start``, ``end``, ``scope`` (the campaigns-table text), ``uplift`` (the multiplier minus 1),
    ``uplift_units`` (realised: units added in the window), ``expected_uplift_units`` (``uplift x
    baseline_units``), ``baseline_units`` (the window's units before planting), ``level`` (baseline units per
    window day), ``pull_forward_units`` (units removed after the window), ``n_skus``.
    """

    campaign_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    scope: str
    uplift: float
    uplift_units: float
    expected_uplift_units: float
    baseline_units: float
    level: float
    pull_forward_units: float
    n_skus: int

    def summary(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([asdict(self)])


def _random_round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    low = np.floor(x)
    return (low + (rng.random(len(x)) < (x - low))).astype("int64")


def scale_quantities(orders: pd.DataFrame, factor: int) -> pd.DataFrame:
    """The order lines with every ``quantity`` multiplied by the whole number ``factor`` (prices unchanged).

    Parameters:
        orders: order lines (contract ``orders``). factor: a positive whole number.

    Returns:
        A copy with ``quantity x factor``: every daily series of units (and GMV) is ``factor`` times as large.

    Example:
        >>> o = pd.DataFrame({"quantity": [1, 3], "unit_price": [9.9, 5.0]})
        >>> scale_quantities(o, 1000)["quantity"].tolist()
        [1000, 3000]
    """
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be a whole number >= 1, not {factor!r}")
    out = orders.copy()
    out["quantity"] = (out["quantity"].astype("int64") * int(factor)).astype(orders["quantity"].dtype)
    return out


def plant_campaign(orders: pd.DataFrame, products: pd.DataFrame, campaign_id: str, start: object, end: object,
                   scope: str, uplift: float, pull_forward_days: int = 0, pull_forward_depth: float = 0.0,
                   discount: float = 0.0, seed: int = 0, kind: str = "flash_sale",
                   marketing_spend: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame, PlantedCampaign]:
    """Orders with a campaign of known size planted, its campaigns-table row, and the truth.

    Formula: module docstring (``q' = R(q (1 + uplift))`` in the window, ``q' = R(q m_j)`` after it).

    Parameters:
        orders: order lines. products: the products table (to resolve ``scope``). campaign_id: the new id.
        start, end: first and last day (inclusive). scope: ``'all'``, ``'category:...'`` or ``'sku:...'``.
        uplift: multiplicative lift minus 1 (0.5 = 50% more units). pull_forward_days, pull_forward_depth:
            ``P`` and ``D`` of the dip after the window. discount: price cut on the window lines (0.2 = 20% off).
        seed: of the random rounding. kind, marketing_spend: for the campaigns row.

    Returns:
        ``(orders, campaigns_row, planted)``: the new order lines (same columns), a one-row campaigns table,
        and :class:`PlantedCampaign`.

    Example: 4 lines of 1 unit of SKU A on 2024-03-02; uplift 1.0 doubles each (R(2) = 2 exactly).
        >>> o = pd.DataFrame({"order_ts": pd.to_datetime(["2024-03-01 10:00"] + ["2024-03-02 10:00"] * 4),
        ...                   "sku": ["A"] * 5, "quantity": [1] * 5, "unit_price": [10.0] * 5,
        ...                   "list_price": [10.0] * 5, "status": ["completed"] * 5})
        >>> p = pd.DataFrame({"sku": ["A"], "category": ["x"], "subcategory": ["x1"]})
        >>> new, row, truth = plant_campaign(o, p, "P1", "2024-03-02", "2024-03-02", "sku:A", 1.0, discount=0.2)
        >>> int(new["quantity"].sum()), truth.uplift_units, truth.baseline_units, new["unit_price"].tolist()[-1]
        (9, 4.0, 4.0, 8.0)
    """
    from opslib.calendar import parse_day
    from opslib.errors import CampaignError

    a, b = parse_day(start, "start", CampaignError), parse_day(end, "end", CampaignError)
    scope_type, scope_text = parse_scope(scope)
    names = tuple(scope_text.split(SCOPE_SEPARATOR)) if scope_text else ()
    camp = Campaign(str(campaign_id), str(campaign_id), kind, a, b, float(discount), scope_type, names,
                    float(marketing_spend))
    skus = set(scope_skus(camp, products))
    rng = np.random.default_rng(seed)
    out = orders.copy()
    day = pd.to_datetime(out["order_ts"]).dt.normalize()
    live = out["sku"].astype(str).isin(skus).to_numpy() & (out["status"] != "cancelled").to_numpy()
    q = out["quantity"].to_numpy().astype(float)
    in_win = live & ((day >= a) & (day <= b)).to_numpy()
    new_q = out["quantity"].to_numpy().astype("int64").copy()
    new_q[in_win] = _random_round(q[in_win] * (1.0 + uplift), rng)
    price = out["unit_price"].to_numpy().astype(float).copy()
    price[in_win] = np.round(price[in_win] * (1.0 - discount), 2)
    pf_units = 0.0
    if pull_forward_days > 0 and pull_forward_depth > 0:
        j = (day - b).dt.days.to_numpy()
        after = live & (j >= 1) & (j <= pull_forward_days)
        m = 1.0 - pull_forward_depth * (1.0 - (j[after] - 1) / pull_forward_days)
        new_q[after] = _random_round(q[after] * m, rng)
        pf_units = float(q[after].sum() - new_q[after].sum())
    baseline = float(q[in_win].sum())
    added = float(new_q[in_win].sum() - baseline)
    out["quantity"] = new_q.astype(orders["quantity"].dtype)
    out["unit_price"] = price
    if "campaign_id" in out.columns:
        out["campaign_id"] = out["campaign_id"].astype("object")
        out.loc[in_win, "campaign_id"] = str(campaign_id)
    out = out[out["quantity"] > 0].reset_index(drop=True)
    row = pd.DataFrame([{"campaign_id": str(campaign_id), "name": f"planted {campaign_id}", "kind": kind,
                         "start": a, "end": b, "discount_depth": float(discount), "scope_type": scope_type,
                         "scope": scope_text, "marketing_spend": float(marketing_spend)}], columns=CAMPAIGNS.column_names)
    days = int((b - a).days) + 1
    planted = PlantedCampaign(campaign_id=str(campaign_id), start=a, end=b, scope=scope, uplift=float(uplift),
                              uplift_units=added, expected_uplift_units=float(uplift) * baseline,
                              baseline_units=baseline, level=baseline / days, pull_forward_units=pf_units,
                              n_skus=len(skus))
    return out, row, planted


@dataclass(frozen=True)
class Plant:
    """One campaign to plant (:func:`write_planted_shop`): id, scope text, first day, length in days, uplift
    (multiplier minus 1), pull-forward days and depth, and the campaign's price cut."""

    campaign_id: str
    scope: str
    start: pd.Timestamp
    days: int
    uplift: float
    pull_forward_days: int = 7
    pull_forward_depth: float = 0.2
    discount: float = 0.2


def write_planted_shop(src: str | Path, out: str | Path, plants: list[Plant], factor: int = 1, seed: int = 0,
                       settings: dict | None = None) -> pd.DataFrame:
    """Copy the shop in ``src`` to ``out`` with every quantity times ``factor`` and ``plants`` planted into it.

    The planted campaigns are appended to the shop's campaigns table (created when there is none), so the
    evaluation sets each one aside in the others' pre-periods like any campaign. ``settings`` (e.g.
    ``{"currency": "GBP", "country": "GB"}``) is written as ``shop.yml``; otherwise the source's is copied.

    Parameters:
        src: a shop folder (orders, products, optional campaigns). out: the new folder.
        plants: the campaigns to plant (in order; each on the lines the previous ones left). factor: whole
            multiplier of every quantity (:func:`scale_quantities`). seed: of the random rounding.
        settings: the ``shop.yml`` keys.

    Returns:
        The truth: one :class:`PlantedCampaign` row per plant (also written as ``out/planted_truth.csv``).

    Example: double one SKU's sales for a day in a one-line shop, at 10 times the level.
        >>> import tempfile
        >>> src, out = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        >>> pd.DataFrame({"order_id": ["o1"], "order_ts": pd.to_datetime(["2024-03-02 10:00"]), "customer_id": ["c"],
        ...     "sku": ["A"], "quantity": [1], "unit_price": [9.9], "list_price": [9.9], "channel": ["app"],
        ...     "region": ["华东"], "status": ["completed"], "campaign_id": [None]}).to_csv(src / "orders.csv", index=False)
        >>> pd.DataFrame({"sku": ["A"], "name": ["a"], "category": ["x"], "subcategory": ["x1"], "brand": ["b"],
        ...               "unit_cost": [5.0], "launch_date": [None]}).to_csv(src / "products.csv", index=False)
        >>> t = write_planted_shop(src, out, [Plant("P1", "sku:A", pd.Timestamp("2024-03-02"), 1, 1.0)], factor=10)
        >>> t.loc[0, ["baseline_units", "uplift_units", "factor"]].tolist(), sorted(p.name for p in out.iterdir())
        ([10.0, 10.0, 10.0], ['campaigns.parquet', 'orders.parquet', 'planted_truth.csv', 'products.parquet'])
    """
    import shutil

    import yaml

    from opslib.data import load_shop

    src, out = Path(src), Path(out)
    shop = load_shop(src, tables=["orders", "products", "campaigns"], validate=False)
    orders = scale_quantities(shop.orders, factor) if factor != 1 else shop.orders.copy()
    rows = [] if shop.campaigns is None else [shop.campaigns]
    truth = []
    for i, p in enumerate(plants):
        orders, row, t = plant_campaign(orders, shop.products, p.campaign_id, p.start,
                                        p.start + pd.Timedelta(days=p.days - 1), p.scope, p.uplift,
                                        pull_forward_days=p.pull_forward_days,
                                        pull_forward_depth=p.pull_forward_depth, discount=p.discount,
                                        seed=seed * 1000 + i)
        rows.append(row)
        truth.append(t.summary())
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        if old.is_file():
            old.unlink()
    orders.to_parquet(out / "orders.parquet", index=False)
    shop.products.to_parquet(out / "products.parquet", index=False)
    camps = pd.concat(rows, ignore_index=True)
    for col in ("start", "end"):
        camps[col] = pd.to_datetime(camps[col]).astype("datetime64[ns]")
    camps.to_parquet(out / "campaigns.parquet", index=False)
    if settings is not None:
        (out / "shop.yml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    elif (src / "shop.yml").is_file():
        shutil.copy(src / "shop.yml", out / "shop.yml")
    table = pd.concat(truth, ignore_index=True) if truth else pd.DataFrame()
    table.assign(factor=factor).to_csv(out / "planted_truth.csv", index=False)
    return table.assign(factor=factor)
