"""One base class for a user's mistake: bad input data, an unknown campaign, a bad report request.

Such errors carry a message that says what is wrong and what to do. In a notebook (JupyterLab or a
papermill report) IPython shows only that message instead of a Python traceback, through its
``_render_traceback_`` hook; on the command line the CLIs print it and exit non-zero.

Example:
    >>> class ShopError(UserError): ...
    >>> ShopError("orders.csv, line 3: 'yesterday'\\n  expected a date")._render_traceback_()
    ["ShopError: orders.csv, line 3: 'yesterday'", '  expected a date']
"""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input; shown as its message, without a traceback, in notebooks."""

    def _render_traceback_(self) -> list[str]:
        lines = str(self).splitlines() or [""]
        return [f"{type(self).__name__}: {lines[0]}", *lines[1:]]
