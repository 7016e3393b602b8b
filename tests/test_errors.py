"""A user's mistake shows as its message in a notebook, not as a Python traceback."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError


def test_data_error_in_a_notebook_shows_the_message_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "shop"
    bad.mkdir()
    (bad / "orders.csv").write_text("order_id,sku\nO1,A\n", encoding="utf-8")  # most columns missing
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"from opslib.data import load_shop\nload_shop({str(bad)!r})")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, str(src))
    with pytest.raises(PapermillExecutionError) as info:
        papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    assert info.value.ename == "DataError"
    executed = nbformat.read(str(out), as_version=4)
    error = next(o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error")
    shown = "\n".join(error["traceback"])
    assert "products" in shown and "order_ts" in shown  # the missing table and a missing column are named
    assert "Traceback" not in shown and "File " not in shown and "site-packages" not in shown
