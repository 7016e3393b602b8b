"""What a shop knows about itself: currency, locale, country (holidays, festivals), time zone, engine.

A shop folder may hold a ``shop.yml``; every key is optional and the defaults describe a Chinese shop::

    name: My UK gift shop
    currency: GBP            # ISO 4217 code: money is shown as £1.2K, £3.4M (CNY: ¥1.2万, ¥3.4亿)
    locale: en_GB            # language/number conventions of the labels
    country: GB              # ISO 3166 code: public holidays (holidays package) and the festival set
    timezone: Europe/London  # IANA zone: time stamps with an offset are converted to it, then made naive
    engine: duckdb           # where order lines are aggregated: duckdb (in process) or spark
    spark: {master: spark://host:7077, conf: {spark.executor.memory: 8g}}   # engine: spark only
    tables: {orders: s3a://bucket/shop/orders.parquet}   # a table kept elsewhere than the folder
    sheets: {orders: "2024"} # Excel: the sheet that holds a table (default: named like it, or the only one)
    cache: /data/opslib-cache  # where CSV/Excel are staged as Parquet (default ~/.cache/opsplaybook)
    memory_limit: 1200MB     # DuckDB's memory before it spills to the cache; threads: 2
    events:                  # your own events (campaign-free promotions, outages, store closures ...)
      - {name: Summer sale, start: 2024-07-01, end: 2024-07-14}

Your own events can also sit in ``events.csv`` next to the tables (columns ``name, start, end``). A wrong value
raises ``SettingsError`` naming the key, the value and what is allowed; unknown keys are refused so a typo
does not pass silently.

Example:
    >>> s = ShopSettings()
    >>> s.currency, s.country, s.timezone, s.engine
    ('CNY', 'CN', 'Asia/Shanghai', 'duckdb')
    >>> ShopSettings.from_mapping({"currency": "gbp", "country": "gb"}).currency
    'GBP'
    >>> ShopSettings.from_mapping({"currency": "XYZ"})
    Traceback (most recent call last):
    ...
    opslib.errors.SettingsError: shop.yml: currency 'XYZ' is not a known currency code — expected one of AUD, BRL, CAD, CHF, CNY, EUR, GBP, HKD, INR, JPY, KRW, SGD, TWD, USD
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.data.contract import TABLES
from opslib.errors import SettingsError

SETTINGS_FILE = "shop.yml"
_TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
EVENTS_FILE = "events.csv"
ENGINES: tuple[str, ...] = ("duckdb", "spark")
KEYS: tuple[str, ...] = ("name", "currency", "locale", "country", "timezone", "engine", "spark", "events", "tables",
                         "sheets", "cache", "memory_limit", "threads")


@dataclass(frozen=True)
class Currency:
    """How amounts of one currency are written: symbol and the unit steps of large numbers.

    ``style='cn'`` steps by 万 (10^4) and 亿 (10^8), as Chinese (and Japanese) readers count; ``'western'``
    steps by K, M, B (10^3, 10^6, 10^9).
    """

    code: str
    symbol: str
    style: str = "western"


CURRENCIES: dict[str, Currency] = {c.code: c for c in (
    Currency("CNY", "¥", "cn"), Currency("JPY", "JP¥", "cn"), Currency("TWD", "NT$", "cn"),
    Currency("HKD", "HK$"), Currency("USD", "$"), Currency("GBP", "£"), Currency("EUR", "€"),
    Currency("BRL", "R$"), Currency("KRW", "₩"), Currency("SGD", "S$"), Currency("AUD", "A$"),
    Currency("CAD", "C$"), Currency("INR", "₹"), Currency("CHF", "CHF "),
)}


@dataclass(frozen=True)
class Event:
    """A dated event of the shop's own (a promotion outside the campaigns table, a closure, an outage)."""

    name: str
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class ShopSettings:
    """A shop's settings (``shop.yml``); the defaults describe a Chinese shop.

    Attributes:
        name: display name of the shop (None: the folder name).
        currency: ISO 4217 code (``CURRENCIES``); every money figure, axis and table follows it.
        locale: label conventions, e.g. ``zh_CN``, ``en_GB``.
        country: ISO 3166 code: public holidays (``holidays`` package) and shopping festivals
            (618/双11/双12 in China, Black Friday elsewhere: ``opslib.calendar``).
        timezone: IANA time zone; time stamps with an offset are converted to it and made naive.
        engine: ``duckdb`` (default, in process) or ``spark``; ``spark`` holds the cluster options.
        events: the shop's own events, from ``shop.yml`` and ``events.csv``.
        tables: table -> file or URI when a table is kept elsewhere than the folder (``opslib.data.engine``).
        sheets: table -> Excel sheet name holding it. cache: the staging folder (``opslib.data.staging``).
        memory_limit, threads: DuckDB's memory before spilling (default 1200MB) and threads.
    """

    name: str | None = None
    currency: str = "CNY"
    locale: str = "zh_CN"
    country: str = "CN"
    timezone: str = "Asia/Shanghai"
    engine: str = "duckdb"
    spark: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    tables: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    cache: str | None = None
    memory_limit: str | None = None
    threads: int | None = None

    @property
    def money(self) -> Currency:
        """The :class:`Currency` of the shop (symbol and unit steps)."""
        return CURRENCIES[self.currency]

    def events_frame(self) -> pd.DataFrame:
        """The shop's own events as a frame with columns ``name``, ``start``, ``end`` (datetime64)."""
        return pd.DataFrame({"name": [e.name for e in self.events],
                             "start": pd.to_datetime([e.start for e in self.events]),
                             "end": pd.to_datetime([e.end for e in self.events])})

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None, where: str = SETTINGS_FILE) -> ShopSettings:
        """Settings from a parsed ``shop.yml``; ``SettingsError`` for unknown keys or bad values.

        Parameters:
            data: the mapping (None or empty: all defaults). where: the file name used in messages.

        Returns:
            The validated settings (codes upper-cased, events parsed).
        """
        data = dict(data or {})
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise SettingsError(f"{where}: unknown key(s) {', '.join(unknown)} — expected some of {', '.join(KEYS)}")
        out: dict[str, Any] = {}
        if data.get("name") is not None:
            out["name"] = str(data["name"])
        if data.get("currency") is not None:
            code = str(data["currency"]).strip().upper()
            if code not in CURRENCIES:
                raise SettingsError(f"{where}: currency {data['currency']!r} is not a known currency code — "
                                    f"expected one of {', '.join(sorted(CURRENCIES))}")
            out["currency"] = code
        if data.get("locale") is not None:
            out["locale"] = str(data["locale"]).strip()
        if data.get("country") is not None:
            out["country"] = _country(str(data["country"]), where)
        if data.get("timezone") is not None:
            out["timezone"] = _timezone(str(data["timezone"]), where)
        if data.get("engine") is not None:
            engine = str(data["engine"]).strip().lower()
            if engine not in ENGINES:
                raise SettingsError(f"{where}: engine {data['engine']!r} — expected one of {', '.join(ENGINES)}")
            out["engine"] = engine
        if data.get("spark") is not None:
            if not isinstance(data["spark"], dict):
                raise SettingsError(f"{where}: spark must be a mapping of Spark options, got {data['spark']!r}")
            out["spark"] = dict(data["spark"])
        if data.get("events") is not None:
            out["events"] = _events(data["events"], where)
        for key in ("tables", "sheets"):
            if data.get(key) is not None:
                if not isinstance(data[key], dict) or not set(map(str, data[key])) <= set(_TABLE_NAMES):
                    raise SettingsError(f"{where}: {key} must map table names ({', '.join(_TABLE_NAMES)}) to "
                                        f"{'a file or URI' if key == 'tables' else 'a sheet name'}, got {data[key]!r}")
                out[key] = {str(k): str(v) for k, v in data[key].items()}
        for key in ("cache", "memory_limit"):
            if data.get(key) is not None:
                out[key] = str(data[key])
        if data.get("threads") is not None:
            if not isinstance(data["threads"], int) or data["threads"] < 1:
                raise SettingsError(f"{where}: threads {data['threads']!r} — expected a whole number >= 1")
            out["threads"] = data["threads"]
        return cls(**out)


def _country(value: str, where: str) -> str:
    import holidays

    code = value.strip().upper()
    supported = holidays.list_supported_countries()
    if code not in supported:
        raise SettingsError(f"{where}: country {value!r} is not an ISO 3166 code the holidays package knows — "
                            "e.g. CN, GB, US, BR, DE")
    return code


def _timezone(value: str, where: str) -> str:
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{where}: timezone {value!r} is not an IANA time zone — e.g. Asia/Shanghai, "
                            "Europe/London, America/Sao_Paulo") from None
    return value.strip()


def _events(rows: Any, where: str) -> tuple[Event, ...]:
    """Events from a list of ``{name, start, end}`` mappings (``end`` defaults to ``start``)."""
    from opslib.calendar import parse_day

    if not isinstance(rows, list):
        raise SettingsError(f"{where}: events must be a list of {{name, start, end}} entries")
    out = []
    for i, r in enumerate(rows, start=1):
        if not isinstance(r, dict) or "name" not in r or "start" not in r:
            raise SettingsError(f"{where}: event {i} needs a name and a start date, got {r!r}")
        start = parse_day(r["start"], f"event {i} ({r['name']}) start", SettingsError)
        end = parse_day(r.get("end", r["start"]), f"event {i} ({r['name']}) end", SettingsError)
        if end < start:
            raise SettingsError(f"{where}: event {i} ({r['name']}) ends {end.date()} before it starts {start.date()}")
        out.append(Event(str(r["name"]), start, end))
    return tuple(out)


def read_settings(folder: str | Path) -> ShopSettings:
    """The settings of the shop in ``folder``: ``shop.yml`` and ``events.csv`` when present, else the defaults.

    Parameters:
        folder: the shop folder.

    Returns:
        :class:`ShopSettings`; raises ``SettingsError`` when a file is not valid (named with the key).

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "shop.yml").write_text("currency: BRL\\ncountry: BR\\ntimezone: America/Sao_Paulo\\n")
        >>> s = read_settings(d)
        >>> s.currency, s.country, s.timezone
        ('BRL', 'BR', 'America/Sao_Paulo')
    """
    import yaml

    folder = Path(folder)
    path = folder / SETTINGS_FILE
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise SettingsError(f"{path}: not valid YAML ({e})") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{path}: expected keys like 'currency: GBP', got {type(data).__name__}")
    settings = ShopSettings.from_mapping(data, where=str(path))
    events_path = folder / EVENTS_FILE
    if events_path.is_file():
        try:
            frame = pd.read_csv(events_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
            raise SettingsError(f"{events_path}: cannot be read as CSV with columns name, start, end ({e})") from None
        missing = {"name", "start"} - set(frame.columns)
        if missing:
            raise SettingsError(f"{events_path}: missing column(s) {', '.join(sorted(missing))} — expected name, "
                                "start, end")
        rows = [{k: v for k, v in r.items() if v != ""} for r in frame.to_dict("records")]
        settings = replace(settings, events=settings.events + _events(rows, str(events_path)))
    return settings
