"""The data contract is self-consistent and its Markdown in docs/ is current."""

from __future__ import annotations

from opslib.data.contract import REQUIRED_TABLES, TABLES, contract_markdown
from tests.conftest import ROOT


def test_docs_match_contract() -> None:
    doc = (ROOT / "docs" / "data_contract.md").read_text(encoding="utf-8")
    assert doc.strip() == contract_markdown().strip(), "run `make contract` to regenerate docs/data_contract.md"


def test_keys_and_references_name_real_columns() -> None:
    for t in TABLES.values():
        for k in t.key:
            assert k in t.column_names, (t.name, k)
        for col, other, other_col in t.references:
            assert col in t.column_names
            assert other_col in TABLES[other].column_names


def test_orders_and_products_are_required() -> None:
    assert set(REQUIRED_TABLES) == {"orders", "products"}
