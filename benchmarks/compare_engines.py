"""Stage-A comparison behind docs/engine.md: Ibis against raw SQL + sqlglot, on DuckDB and PySpark.

Runs in its own scratch environment (not an opslib dependency)::

    python3 -m venv /tmp/engine-venv
    /tmp/engine-venv/bin/pip install 'ibis-framework[duckdb,pyspark]' sqlglot duckdb pandas pyarrow
    nice /tmp/engine-venv/bin/python benchmarks/compare_engines.py --shop DIR [--spark] [--repeat 3]

For each query (daily x SKU cube, per-customer RFM, ABC by SKU over a period, validation checks) it
times, best of ``--repeat``: the raw DuckDB SQL (the reference), the same SQL through sqlglot (parsed
and re-generated for DuckDB, the path a portable SQL layer takes), and the Ibis expression on its
DuckDB backend; with ``--spark`` also sqlglot-transpiled SQL and Ibis on PySpark in local mode. Every
result is sorted and compared with the reference (integers exactly, money to 1e-9 relative).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ABC_START, ABC_END = "2025-01-01", "2025-07-01"
AS_OF = "2026-01-01"

SQL = {
    "cube": """
        SELECT CAST(date_trunc('day', o.order_ts) AS DATE) AS date, o.sku,
               any_value(p.category) AS category,
               count(CASE WHEN o.status <> 'cancelled' THEN 1 END) AS orders,
               coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity END), 0) AS units,
               coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity END), 0) AS units_net,
               coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price END), 0) AS gmv,
               coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity * o.unit_price END), 0) AS net_sales
        FROM orders AS o LEFT JOIN products AS p ON o.sku = p.sku
        GROUP BY 1, 2""",
    "rfm": f"""
        SELECT customer_id,
               date_diff('day', CAST(max(order_ts) AS DATE), DATE '{AS_OF}') AS recency_days,
               count(DISTINCT order_id) AS frequency,
               sum(quantity * unit_price) AS monetary
        FROM orders
        WHERE status <> 'cancelled' AND customer_id IS NOT NULL
        GROUP BY customer_id""",
    "abc": f"""
        WITH s AS (
            SELECT sku, sum(quantity * unit_price) AS net_sales FROM orders
            WHERE status = 'completed' AND order_ts >= TIMESTAMP '{ABC_START}' AND order_ts < TIMESTAMP '{ABC_END}'
            GROUP BY sku),
        r AS (
            SELECT sku, net_sales,
                   sum(net_sales) OVER (ORDER BY net_sales DESC, sku ROWS UNBOUNDED PRECEDING)
                       / sum(net_sales) OVER () AS cum_share
            FROM s)
        SELECT sku, net_sales, cum_share,
               CASE WHEN cum_share <= 0.8 THEN 'A' WHEN cum_share <= 0.95 THEN 'B' ELSE 'C' END AS abc
        FROM r""",
    "validate": """
        SELECT
          (SELECT count(*) FROM orders) AS n_lines,
          (SELECT count(*) FROM orders WHERE quantity IS NULL OR quantity < 1) AS bad_quantity,
          (SELECT count(*) FROM orders WHERE unit_price IS NULL OR unit_price < 0) AS bad_price,
          (SELECT count(*) FROM orders WHERE status NOT IN ('completed', 'cancelled', 'returned')) AS bad_status,
          (SELECT count(*) FROM (SELECT order_id, sku FROM orders GROUP BY order_id, sku HAVING count(*) > 1) d)
              AS dup_keys,
          (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = o.sku))
              AS orphan_skus""",
}
KEYS = {"cube": ["date", "sku"], "rfm": ["customer_id"], "abc": ["sku"], "validate": ["n_lines"]}


def ibis_queries(orders, products):  # noqa: ANN001, ANN201 - ibis table expressions
    """The same four queries as Ibis expressions."""
    import ibis

    o = orders
    live = o.status != "cancelled"
    done = o.status == "completed"
    value = o.quantity * o.unit_price
    j = o.left_join(products, o.sku == products.sku)
    cube = (
        j.group_by(date=o.order_ts.truncate("D").cast("date"), sku=o.sku)
        .aggregate(
            category=products.category.arbitrary(),
            orders=live.sum(),  # count of non-cancelled lines (= distinct orders on the key)
            units=ibis.cases((live, o.quantity), else_=0).sum(),
            units_net=ibis.cases((done, o.quantity), else_=0).sum(),
            gmv=ibis.cases((live, value), else_=0.0).sum(),
            net_sales=ibis.cases((done, value), else_=0.0).sum(),
        )
    )
    c = o.filter(live, o.customer_id.notnull())
    rfm = c.group_by("customer_id").aggregate(
        recency_days=(ibis.date(AS_OF) - c.order_ts.max().cast("date")).cast("int64"),
        frequency=c.order_id.nunique(),
        monetary=(c.quantity * c.unit_price).sum(),
    )
    period = o.filter(done, o.order_ts >= ibis.timestamp(ABC_START), o.order_ts < ibis.timestamp(ABC_END))
    s = period.group_by("sku").aggregate(net_sales=(period.quantity * period.unit_price).sum())
    w = ibis.window(order_by=[ibis.desc(s.net_sales), s.sku], rows=(None, 0))
    r = s.mutate(cum_share=s.net_sales.sum().over(w) / s.net_sales.sum().over())
    abc = r.mutate(abc=ibis.cases((r.cum_share <= 0.8, "A"), (r.cum_share <= 0.95, "B"), else_="C"))
    dup = o.group_by(["order_id", "sku"]).aggregate(n=o.count()).filter(lambda t: t.n > 1)
    orphan = o.anti_join(products, o.sku == products.sku)
    validate = ibis.memtable({"k": [1]}).select(
        n_lines=o.count().as_scalar(),
        bad_quantity=o.filter(o.quantity.isnull() | (o.quantity < 1)).count().as_scalar(),
        bad_price=o.filter(o.unit_price.isnull() | (o.unit_price < 0)).count().as_scalar(),
        bad_status=o.filter(~o.status.isin(["completed", "cancelled", "returned"])).count().as_scalar(),
        dup_keys=dup.count().as_scalar(),
        orphan_skus=orphan.count().as_scalar(),
    )
    return {"cube": cube, "rfm": rfm, "abc": abc, "validate": validate}


def best(fn, repeat: int) -> tuple[float, object]:  # noqa: ANN001
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def same(ref: pd.DataFrame, got: pd.DataFrame, keys: list[str]) -> str:
    """'identical' or what differs (columns compared by name after sorting on the keys)."""
    a = ref.sort_values(keys).reset_index(drop=True)
    b = got[list(ref.columns)].sort_values(keys).reset_index(drop=True)
    if len(a) != len(b):
        return f"row count {len(a)} vs {len(b)}"
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            if not np.allclose(x.astype(float), y.astype(float), rtol=1e-9, atol=1e-6, equal_nan=True):
                return f"column {col} differs"
        elif col == "date":
            if not (pd.to_datetime(x).to_numpy() == pd.to_datetime(y).to_numpy()).all():
                return "column date differs"
        elif not (x.astype(str).to_numpy() == y.astype(str).to_numpy()).all():
            return f"column {col} differs"
    return "identical"


def import_time(stmt: str) -> float:
    """Seconds for a fresh interpreter to run ``stmt`` (median of 3)."""
    out = []
    for _ in range(3):
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        out.append(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                        check=True).stdout))
    return sorted(out)[1]


def spark_session():  # noqa: ANN201
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[2]").appName("opslib-compare")
            .config("spark.driver.memory", "4g").config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
            .config("spark.sql.legacy.parquet.nanosAsLong", "true")
            .getOrCreate())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shop", type=Path, required=True)
    ap.add_argument("--spark", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import ibis
    import sqlglot

    orders_path, products_path = str(args.shop / "orders.parquet"), str(args.shop / "products.parquet")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{orders_path}')")
    con.execute(f"CREATE VIEW products AS SELECT * FROM read_parquet('{products_path}')")
    icon = ibis.duckdb.connect()
    exprs = ibis_queries(icon.read_parquet(orders_path, table_name="orders"),
                         icon.read_parquet(products_path, table_name="products"))
    n = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    print(f"order lines: {n:,}; repeat {args.repeat}")
    print(f"import: ibis {import_time('import ibis'):.2f} s, sqlglot {import_time('import sqlglot'):.2f} s, "
          f"duckdb {import_time('import duckdb'):.2f} s")
    rows = []
    refs = {}
    for name, sql in SQL.items():
        t_raw, ref = best(lambda sql=sql: con.execute(sql).df(), args.repeat)
        refs[name] = ref
        glot = sqlglot.transpile(sql, read="duckdb", write="duckdb")[0]
        t_glot, got_glot = best(lambda glot=glot: con.execute(glot).df(), args.repeat)
        t_ibis, got_ibis = best(lambda name=name: exprs[name].to_pandas(), args.repeat)
        rows.append((name, "duckdb", t_raw, t_glot, same(ref, got_glot, KEYS[name]), t_ibis,
                     same(ref, got_ibis, KEYS[name])))
        print(rows[-1], flush=True)
    if args.spark:
        spark = spark_session()
        for name, path in (("orders", orders_path), ("products", products_path)):
            df = spark.read.parquet(path)
            if name == "orders":  # nanosecond timestamps arrive as longs: convert once
                df = df.withColumn("order_ts", (df.order_ts / 1000).cast("long"))
                df = df.selectExpr("*", "timestamp_micros(order_ts) AS ts").drop("order_ts") \
                       .withColumnRenamed("ts", "order_ts")
            df.createOrReplaceTempView(name)
        scon = ibis.pyspark.connect(spark)
        sexprs = ibis_queries(scon.table("orders"), scon.table("products"))
        for name, sql in SQL.items():
            spark_sql = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
            try:
                t_glot, got = best(lambda q=spark_sql: spark.sql(q).toPandas(), 1)
                glot_res = same(refs[name], got, KEYS[name])
            except Exception as e:  # noqa: BLE001 - record what Spark said
                t_glot, glot_res = float("nan"), f"error: {str(e).splitlines()[0][:160]}"
            try:
                t_ibis, got = best(lambda name=name: sexprs[name].to_pandas(), 1)
                ibis_res = same(refs[name], got, KEYS[name])
            except Exception as e:  # noqa: BLE001
                t_ibis, ibis_res = float("nan"), f"error: {str(e).splitlines()[0][:160]}"
            rows.append((name, "spark", float("nan"), t_glot, glot_res, t_ibis, ibis_res))
            print(rows[-1], flush=True)
            if name == "cube":
                print("  spark SQL from sqlglot:", " ".join(spark_sql.split())[:400])
    print("\n| query | engine | raw DuckDB SQL s | sqlglot s | sqlglot result | Ibis s | Ibis result |")
    print("|---|---|---|---|---|---|---|")
    for name, eng, t_raw, t_glot, r_glot, t_ibis, r_ibis in rows:
        print(f"| {name} | {eng} | {t_raw:.2f} | {t_glot:.2f} | {r_glot} | {t_ibis:.2f} | {r_ibis} |")


if __name__ == "__main__":
    main()
