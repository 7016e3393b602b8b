"""Independent recomputation: the answer keys computed again from the shop's files, not from the notebook.

The exercises' keys never come from what a notebook printed. Where the sample shop planted the answer,
the key is the planted truth (``truth.json``); everywhere else — and on any shop without a truth file —
it is recomputed here with a few lines of plain pandas straight from the order lines, following the
definitions in the docstrings of ``opslib.kpi`` and the domain modules but sharing none of their code
(a bug in a notebook's function then shows up as a failed check instead of agreeing with itself).

Definitions (per order line): ``value = quantity * unit_price``; GMV = sum of value over lines not
cancelled; net sales = the same over completed lines; cost = quantity * unit_cost over completed lines;
orders = distinct ``order_id`` over lines not cancelled; a day is the calendar day of ``order_ts``.
"""

from __future__ import annotations

import json
import math
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def sales_lines(orders: pd.DataFrame, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order lines with ``day``, ``value`` = quantity × unit_price, ``live`` (not cancelled) and ``done`` (completed).

    With ``products``, also ``category``, ``subcategory``, ``brand`` and ``cost`` = quantity × unit_cost on
    completed lines (NaN when the cost is unknown, 0 on other lines).

    Parameters:
        orders: the order lines. products: the products table, or None.

    Returns:
        A new frame (the input is not modified).

    Example:
        >>> o = pd.DataFrame({"order_id": ["a", "b"], "order_ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-02 10:00"]),
        ...                   "sku": ["s", "s"], "quantity": [2, 1], "unit_price": [5.0, 5.0],
        ...                   "status": ["completed", "cancelled"]})
        >>> p = pd.DataFrame({"sku": ["s"], "category": ["x"], "subcategory": ["y"], "unit_cost": [3.0]})
        >>> sales_lines(o, p)[["value", "live", "cost"]].to_dict("records")
        [{'value': 10.0, 'live': True, 'cost': 6.0}, {'value': 5.0, 'live': False, 'cost': 0.0}]
    """
    out = orders.copy()
    out["day"] = pd.to_datetime(out["order_ts"]).dt.normalize()
    out["value"] = out["quantity"].astype("float64") * out["unit_price"].astype("float64")
    out["live"] = out["status"] != "cancelled"
    out["done"] = out["status"] == "completed"
    if products is not None:
        cols = [c for c in ("category", "subcategory", "brand", "unit_cost") if c in products.columns]
        info = products.drop_duplicates("sku")[["sku", *cols]]
        # each line's product row by position (-1: not in products, filled as missing); a left merge, without
        # turning every string column into a million Python objects and back
        row = pd.Index(info["sku"]).get_indexer(out["sku"])
        for c in cols:
            out[c] = pd.Series(info[c].array.take(row, allow_fill=True), index=out.index)
        if "unit_cost" in cols:
            out["cost"] = np.where(out["done"], out["quantity"] * out["unit_cost"], 0.0)
            out.loc[out["done"] & out["unit_cost"].isna(), "cost"] = np.nan
    return out


def in_days(lines: pd.DataFrame, start: Any, end: Any, col: str = "day") -> pd.DataFrame:
    """The rows whose ``col`` (a day) lies in ``[start, end]`` (both included).

    Parameters:
        lines: a frame with a day column. start, end: the first and last day. col: the day column.

    Returns:
        The rows inside the days.

    Example:
        >>> d = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-05"])})
        >>> len(in_days(d, "2024-01-01", "2024-01-04"))
        1
    """
    day = pd.to_datetime(lines[col])
    return lines[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]


def money_totals(lines: pd.DataFrame) -> dict[str, float]:
    """GMV, net sales, placed value, list value, orders and units of :func:`sales_lines` rows.

    Formulas: ``gmv = Σ value`` (not cancelled), ``net_sales = Σ value`` (completed), ``placed = Σ value`` (all
    lines), ``list_value = Σ quantity × list_price`` (not cancelled, when the column exists), ``orders`` =
    distinct order_id (not cancelled), ``units = Σ quantity`` (not cancelled).

    Parameters:
        lines: rows of :func:`sales_lines`.

    Returns:
        A dict of those six numbers.

    Example:
        >>> o = pd.DataFrame({"order_id": ["a", "a", "b"], "order_ts": pd.to_datetime(["2024-01-01"] * 3),
        ...                   "sku": "s", "quantity": [1, 2, 1], "unit_price": [10.0, 5.0, 40.0],
        ...                   "status": ["completed", "returned", "cancelled"]})
        >>> t = money_totals(sales_lines(o))
        >>> t["gmv"], t["net_sales"], t["placed"], t["orders"]
        (20.0, 10.0, 60.0, 1.0)
    """
    live = lines[lines["live"]]
    out = {"gmv": float(live["value"].sum()), "net_sales": float(lines.loc[lines["done"], "value"].sum()),
           "placed": float(lines["value"].sum()), "orders": float(live["order_id"].nunique()),
           "units": float(live["quantity"].sum())}
    out["list_value"] = (float((live["quantity"] * live["list_price"]).sum()) if "list_price" in live.columns
                         else float("nan"))
    return out


def by_group(lines: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per ``by`` group: gmv, net_sales, cost, costed net sales, orders and units, with the three rates.

    Formulas: ``return_rate = (gmv - net_sales) / gmv``; ``margin_rate = (costed_sales - cost) / costed_sales``
    with ``costed_sales`` = net sales of completed lines whose cost is known; ``aov = gmv / orders``.

    Parameters:
        lines: rows of :func:`sales_lines` (with products, for ``cost``). by: the group column.

    Returns:
        One row per group, indexed by it.

    Example:
        >>> o = pd.DataFrame({"order_id": ["a", "b"], "order_ts": pd.to_datetime(["2024-01-01"] * 2),
        ...                   "sku": ["s", "t"], "quantity": [1, 1], "unit_price": [10.0, 20.0],
        ...                   "status": ["completed", "returned"]})
        >>> p = pd.DataFrame({"sku": ["s", "t"], "category": ["x", "x"], "unit_cost": [6.0, 9.0]})
        >>> by_group(sales_lines(o, p), "category")[["gmv", "return_rate", "margin_rate"]].round(3).to_dict("records")
        [{'gmv': 30.0, 'return_rate': 0.667, 'margin_rate': 0.4}]
    """
    d = lines[lines["live"]].assign(
        net=lambda x: x["value"].where(x["done"], 0.0),
        costed=lambda x: x["value"].where(x["done"] & x.get("cost", pd.Series(np.nan, x.index)).notna(), 0.0),
        cost_known=lambda x: x.get("cost", pd.Series(np.nan, x.index)).fillna(0.0))
    g = d.groupby(by)
    out = pd.DataFrame({"gmv": g["value"].sum(), "net_sales": g["net"].sum(), "costed_sales": g["costed"].sum(),
                        "cost": g["cost_known"].sum(), "orders": g["order_id"].nunique().astype(float),
                        "units": g["quantity"].sum().astype(float)})
    out["return_rate"] = (out["gmv"] - out["net_sales"]) / out["gmv"].where(out["gmv"] > 0)
    out["margin_rate"] = (out["costed_sales"] - out["cost"]) / out["costed_sales"].where(out["costed_sales"] > 0)
    out["aov"] = out["gmv"] / out["orders"].where(out["orders"] > 0)
    return out


def visitors_in(traffic: pd.DataFrame, start: Any, end: Any, category: str | None = None) -> float:
    """Σ traffic.visitors over the days ``[start, end]`` (and one category when given).

    Parameters:
        traffic: the traffic table. start, end: the days. category: one category or None (all).

    Returns:
        The visitors (0.0 when no row falls in the days).

    Example:
        >>> t = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-01"]), "category": ["x", "y"],
        ...                   "visitors": [100, 50]})
        >>> visitors_in(t, "2024-01-01", "2024-01-01"), visitors_in(t, "2024-01-01", "2024-01-01", "y")
        (150.0, 50.0)
    """
    t = in_days(traffic, start, end, col="date")
    if category is not None:
        t = t[t["category"] == category]
    return float(t["visitors"].sum())


def weekly_units(lines: pd.DataFrame, sku: str, last_day: Any, weeks: int) -> pd.Series:
    """Units of ``sku`` per complete ISO week (Monday-Sunday), the ``weeks`` weeks ending on or before ``last_day``.

    Weeks without a sale count as 0; a week is complete when its Sunday is on or before ``last_day``.

    Parameters:
        lines: rows of :func:`sales_lines`. sku: the SKU. last_day: the last day of data. weeks: how many weeks.

    Returns:
        Units indexed by the weeks' Mondays, oldest first.

    Example:
        >>> o = pd.DataFrame({"order_id": ["a", "b"], "order_ts": pd.to_datetime(["2024-01-01", "2024-01-09"]),
        ...                   "sku": "s", "quantity": [3, 2], "unit_price": 1.0, "status": "completed"})
        >>> weekly_units(sales_lines(o), "s", "2024-01-14", 2).tolist()
        [3.0, 2.0]
    """
    last = pd.Timestamp(last_day).normalize()
    last_sunday = last - pd.Timedelta(days=(last.day_of_week + 1) % 7)
    mondays = pd.date_range(end=last_sunday - pd.Timedelta(days=6), periods=weeks, freq="7D")
    d = lines[lines["live"] & (lines["sku"] == sku)]
    week = d["day"] - pd.to_timedelta(d["day"].dt.day_of_week, unit="D")
    return d.groupby(week)["quantity"].sum().astype(float).reindex(mondays, fill_value=0.0)


def first_order_repeat_rates(lines: pd.DataFrame, campaigns: pd.DataFrame | None = None, days: int = 90,
                             end: Any = None) -> dict[str, float]:
    """Share of first orders (and of later orders) followed by another order of the customer within ``days``.

    Over orders not cancelled with a ``customer_id``, one timestamp per order (its first line), in time order
    per customer: an order is eligible when placed on or before ``end - days`` (default end: the last order
    day); it repeats when the same customer's next order comes at most ``days`` days later. ``new`` = first
    orders, ``returning`` = later orders, ``new_campaign`` / ``new_other`` = first orders on / off a campaign day
    (``campaigns.start .. end``). The definition of ``truth.json``'s ``customers`` section.

    Parameters:
        lines: rows of :func:`sales_lines`. campaigns: the campaigns table or None. days: the window. end: last day.

    Returns:
        Rate per kind (NaN for a kind without eligible orders).

    Example (a buys Jan 1 and Feb 1, b once on Jan 10; end Jun 30):
        >>> o = pd.DataFrame({"order_id": ["a1", "a2", "b1"], "customer_id": ["a", "a", "b"], "sku": "s",
        ...     "order_ts": pd.to_datetime(["2024-01-01 10:00", "2024-02-01 10:00", "2024-01-10 10:00"]),
        ...     "quantity": 1, "unit_price": 1.0, "status": "completed"})
        >>> r = first_order_repeat_rates(sales_lines(o), end="2024-06-30")
        >>> r["new"], r["returning"]
        (0.5, 0.0)
    """
    d = lines[lines["live"] & lines["customer_id"].notna()]
    o = (d.groupby("order_id", sort=False).agg(c=("customer_id", "first"), ts=("order_ts", "min"))
         .sort_values(["c", "ts"], kind="stable"))
    last = pd.Timestamp(end).normalize() if end is not None else lines["day"].max()
    same_next = o["c"].shift(-1) == o["c"]
    gap = o["ts"].shift(-1) - o["ts"]
    again = same_next & (gap <= pd.Timedelta(days=days))
    first = o["c"] != o["c"].shift(1)
    eligible = o["ts"].dt.normalize() <= last - pd.Timedelta(days=days)
    out = {"new": float(again[first & eligible].mean()), "returning": float(again[~first & eligible].mean())}
    if campaigns is not None and len(campaigns):
        day = o["ts"].dt.normalize()
        on = pd.Series(False, index=o.index)
        for c in campaigns.itertuples():
            on |= (day >= pd.Timestamp(c.start)) & (day <= pd.Timestamp(c.end))
        out["new_campaign"] = float(again[first & eligible & on].mean())
        out["new_other"] = float(again[first & eligible & ~on].mean())
    return out


def example_shop(folder: str | Path) -> Path:
    """Write a tiny shop (4 order lines on 3 days, 2 products, as Parquet) into ``folder``, for examples and doctests.

    Lines: 2 × ¥10 completed and 1 × ¥30 returned on 2024-06-01, 1 × ¥40 cancelled on 2024-06-02, 1 × ¥10
    completed on 2024-06-03: GMV 20 + 30 + 10 = 60, net sales 30.

    Parameters:
        folder: where to write ``orders.parquet`` and ``products.parquet`` (created).

    Returns:
        The folder.

    Example:
        >>> import tempfile
        >>> shop = ShopFacts(example_shop(tempfile.mkdtemp()))
        >>> money_totals(shop.lines)["gmv"], shop.truth is None
        (60.0, True)
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    orders = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3"],
        "order_ts": pd.to_datetime(["2024-06-01 10:00", "2024-06-01 10:00", "2024-06-02 11:00", "2024-06-03 12:00"]),
        "customer_id": ["c1", "c1", "c2", "c1"], "sku": ["a", "b", "a", "a"], "quantity": [2, 1, 1, 1],
        "unit_price": [10.0, 30.0, 40.0, 10.0], "list_price": [10.0, 30.0, 40.0, 10.0], "channel": "app",
        "region": "华东", "status": ["completed", "returned", "cancelled", "completed"], "campaign_id": None})
    products = pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": ["美妆", "服饰"],
                             "subcategory": ["护肤", "女装"], "brand": ["x", "y"], "unit_cost": [6.0, 12.0],
                             "launch_date": pd.to_datetime(["2023-01-01", "2023-01-01"])})
    orders.to_parquet(folder / "orders.parquet", index=False)
    products.to_parquet(folder / "products.parquet", index=False)
    return folder


def _signature(folder: Path) -> tuple:
    """What identifies a shop folder's content cheaply: its files' names, sizes and modification times."""
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))


_CACHE: dict[Path, tuple[tuple, ShopFacts]] = {}


def facts_for(data_dir: str | Path) -> ShopFacts:
    """The :class:`ShopFacts` of ``data_dir``, read once while its files do not change (the last two shops kept).

    Re-running a notebook's exercise cells, or the checks of several chapters on one shop, then reads the shop once.

    Parameters:
        data_dir: the shop folder.

    Returns:
        The shop's facts (shared between sessions on the same unchanged folder).
    """
    folder = Path(data_dir).resolve()
    sig = _signature(folder) if folder.is_dir() else ()
    hit = _CACHE.get(folder)
    if hit is not None and hit[0] == sig:
        return hit[1]
    facts = ShopFacts(folder)
    _CACHE[folder] = (sig, facts)
    while len(_CACHE) > 2:
        _CACHE.pop(next(iter(_CACHE)))
    return facts


#: Above this many order lines, keys recomputed line by line are not graded (``OPSLIB_GRADE_MAX_LINES`` overrides):
#: every line in pandas costs about 400 bytes, so 2M lines keep a report's grading under 1 GB.
GRADE_MAX_LINES = 2_000_000
GRADE_MAX_LINES_ENV = "OPSLIB_GRADE_MAX_LINES"


def grade_max_lines() -> int:
    """The most order lines a key may read into pandas: ``$OPSLIB_GRADE_MAX_LINES`` when set, else
    :data:`GRADE_MAX_LINES`.

    Parameters:
        (none; reads the environment).

    Returns:
        The limit, a whole number of lines.

    Example:
        >>> import os; os.environ.pop(GRADE_MAX_LINES_ENV, None) and None
        >>> grade_max_lines()
        2000000
    """
    import os

    raw = os.environ.get(GRADE_MAX_LINES_ENV, "").strip()
    try:
        return int(raw.replace("_", "").replace(",", "")) if raw else GRADE_MAX_LINES
    except ValueError:
        return GRADE_MAX_LINES


class ShopTables:
    """The two required tables of a shop read for grading, each read when first used (``orders`` holds every
    line: keys that need only totals use :meth:`ShopFacts.sql`), and ``has(name)`` for the optional ones."""

    def __init__(self, facts: ShopFacts) -> None:
        self.facts = facts

    @property
    def orders(self) -> pd.DataFrame:
        """The order lines as a frame (read on first use)."""
        return self.facts._orders_frame

    @property
    def products(self) -> pd.DataFrame:
        """The products table."""
        return self.facts.table("products")

    def has(self, name: str) -> bool:
        """True when the shop has table ``name``."""
        return self.facts.table(name) is not None


class ShopFacts:
    """A shop folder read once for grading: its tables, the sale lines and its planted truth (if any).

    ``truth`` is the parsed ``truth.json`` only when it describes these very files (the same number of order
    lines and the same GMV to the cent); otherwise it is None and ``truth_note`` says why — a stale or copied
    truth file must never grade a trainee.
    """

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self._tables: dict[str, pd.DataFrame | None] = {}

    def _read(self, name: str) -> pd.DataFrame | None:
        """One table, read straight from ``<name>.parquet`` when there is one (a second, independent read of
        the file; contract types restored where a column came in as text), else through ``opslib.data.load_shop``
        (CSV, Excel); None when the shop has no such table."""
        path = self.data_dir / f"{name}.parquet"
        if path.is_file():
            from opslib.data.contract import TABLES

            frame = pd.read_parquet(path)
            for col in TABLES[name].columns:
                if col.name in frame.columns and col.kind in ("datetime", "date") and \
                        not pd.api.types.is_datetime64_any_dtype(frame[col.name]):
                    frame[col.name] = pd.to_datetime(frame[col.name], errors="coerce")
                elif col.name in frame.columns and col.kind in ("int", "float") and \
                        not pd.api.types.is_numeric_dtype(frame[col.name]):
                    frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce")
            return frame
        from opslib.data import load_shop

        return getattr(load_shop(self.data_dir, tables=[name], validate=False), name, None)

    @cached_property
    def shop(self) -> ShopTables:
        """The shop's orders and products (other tables through :meth:`table`); ``MissingTableError`` without them."""
        from opslib.data.problems import SUFFIXES

        has_orders = any((self.data_dir / f"orders{suffix}").is_file() for suffix in SUFFIXES)
        if not has_orders or self.table("products") is None:
            from opslib.errors import MissingTableError

            raise MissingTableError([f"{self.data_dir}: no orders or products file"], header="Cannot grade:")
        return ShopTables(self)

    @cached_property
    def _orders_frame(self) -> pd.DataFrame:
        limit = grade_max_lines()
        n = self.order_totals["lines"]
        if n > limit:
            from opslib.errors import UserError

            raise UserError(
                f"{self.data_dir}: this key is recomputed line by line in pandas, and the shop has {n:,} order "
                f"lines (more than {limit:,}: about {n * 400 / 1e9:.1f} GB in memory); exercises on such shops are "
                f"not graded, so the report stays within memory. Practise on the sample shop, or raise the limit "
                f"with the environment variable {GRADE_MAX_LINES_ENV}=N")
        orders = self._read("orders")
        if orders is None:
            from opslib.errors import MissingTableError

            raise MissingTableError([f"{self.data_dir}: no orders file"], header="Cannot grade:")
        return orders

    @cached_property
    def lines(self) -> pd.DataFrame:
        """:func:`sales_lines` of the whole shop, with product columns (every line in pandas: only the keys that
        are recomputed line by line ask for it; totals, days and margins come from :meth:`sql`)."""
        return sales_lines(self.shop.orders, self.shop.products)

    def _orders_file(self) -> str:
        """The orders as one Parquet file: ``orders.parquet`` itself, else the typed copy ``opslib.data`` stages
        of a CSV/Excel file (written once into the cache, streaming)."""
        path = self.data_dir / "orders.parquet"
        if path.is_file():
            return str(path)
        from opslib.data import load_shop

        src = load_shop(self.data_dir, tables=["orders"], validate=False).source("orders")
        if src is None:
            from opslib.errors import MissingTableError

            raise MissingTableError([f"{self.data_dir}: no orders file"], header="Cannot grade:")
        return str(src)

    @cached_property
    def _con(self) -> Any:
        """A DuckDB connection of its own with view ``orders`` over the orders file (the contract's number and
        time columns cast as :meth:`_read` casts them; ``__row`` = 0-based row in the file) and ``products``
        (the small products frame)."""
        import duckdb

        from opslib.data.contract import TABLES

        file = self._orders_file().replace("'", "''")
        con = duckdb.connect(database=":memory:")
        have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{file}')").fetchall()]
        kinds = {c.name: c.kind for c in TABLES["orders"].columns}
        cast = {"datetime": "TIMESTAMP", "date": "TIMESTAMP", "int": "DOUBLE", "float": "DOUBLE"}
        cols = [f'TRY_CAST("{c}" AS {cast[kinds[c]]}) AS "{c}"' if kinds.get(c) in cast else f'"{c}"' for c in have]
        con.execute(f"CREATE VIEW orders AS SELECT {', '.join(cols)}, file_row_number AS __row "
                    f"FROM read_parquet('{file}', file_row_number = true)")
        products = self.table("products")
        if products is not None:
            con.register("products", products)
        return con

    def sql(self, query: str) -> pd.DataFrame:
        """Run ``query`` (DuckDB SQL over views ``orders`` and ``products``) on the shop's files; the lines stay in
        DuckDB, only the result comes back.

        Parameters:
            query: a SELECT over ``orders`` (every line, typed) and ``products``.

        Returns:
            The result frame.

        Example:
            >>> import tempfile
            >>> ShopFacts(example_shop(tempfile.mkdtemp())).sql("SELECT count(*) AS n FROM orders")["n"][0]
            np.int64(4)
        """
        return self._con.execute(query).df()

    @cached_property
    def order_totals(self) -> dict[str, Any]:
        """``lines`` (all order lines), ``gmv`` (Σ quantity × unit_price over lines not cancelled), ``first_day`` and
        ``last_day`` (days of the first and last line), in one SQL scan (as :func:`money_totals` and ``lines``).

        Example:
            >>> import tempfile
            >>> t = ShopFacts(example_shop(tempfile.mkdtemp())).order_totals
            >>> t["lines"], t["gmv"], str(t["first_day"].date()), str(t["last_day"].date())
            (4, 60.0, '2024-06-01', '2024-06-03')
        """
        row = self.sql("""SELECT count(*) AS n, sum(CASE WHEN status IS DISTINCT FROM 'cancelled'
                                                        THEN quantity * unit_price END) AS gmv,
                                 min(order_ts) AS t0, max(order_ts) AS t1 FROM orders""").iloc[0]
        days = [pd.Timestamp(t).normalize() if pd.notna(t) else pd.NaT for t in (row["t0"], row["t1"])]
        return {"lines": int(row["n"]), "gmv": float(row["gmv"]) if pd.notna(row["gmv"]) else 0.0,
                "first_day": days[0], "last_day": days[1]}

    @property
    def first_day(self) -> pd.Timestamp:
        """First day with an order line."""
        if "lines" in self.__dict__:
            return self.lines["day"].min()
        return self.order_totals["first_day"]

    @property
    def last_day(self) -> pd.Timestamp:
        """Last day with an order line."""
        if "lines" in self.__dict__:
            return self.lines["day"].max()
        return self.order_totals["last_day"]

    def table(self, name: str) -> pd.DataFrame | None:
        """A table of the shop (read the first time it is asked for), or None when the shop does not have it."""
        if name == "orders":
            return self.shop.orders
        if name not in self._tables:
            self._tables[name] = self._read(name)
        return self._tables[name]

    @cached_property
    def _truth(self) -> tuple[dict | None, str]:
        path = self.data_dir / "truth.json"
        if not path.is_file():
            return None, ("no truth.json in this shop (not the sample shop): answers are graded against an "
                          "independent recomputation from its files")
        try:
            truth = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return None, f"truth.json cannot be read ({exc}): ignoring it"
        totals = self.order_totals  # one SQL scan: checking the truth file never reads the lines into pandas
        n, gmv = totals["lines"], totals["gmv"]
        t_n = truth.get("counts", {}).get("order_lines")
        t_gmv = truth.get("totals", {}).get("gmv")
        if t_n != n or t_gmv is None or not math.isclose(float(t_gmv), gmv, abs_tol=0.01 + 1e-9 * abs(gmv)):
            return None, (f"truth.json does not describe these files ({t_n} order lines in truth.json, {n} in the "
                          "shop, or another GMV): ignoring it")
        return truth, (f"the sample shop (seed {truth.get('seed')}, scale {truth.get('scale')}): planted effects are "
                       "graded against truth.json, everything else against an independent recomputation")

    @property
    def truth(self) -> dict | None:
        """The planted truth of these files, or None (see ``truth_note``)."""
        return self._truth[0]

    @property
    def truth_note(self) -> str:
        """One line: what the checks of this shop grade against."""
        return self._truth[1]
