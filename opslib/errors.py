"""Every error a user can cause, in one place: bad input data, an unknown campaign, a bad report request.

All of them derive from ``UserError``. Such errors carry a message that says what is wrong and what to do.
In a notebook (JupyterLab or a papermill report) IPython shows only that message instead of a Python
traceback, through its ``_render_traceback_`` hook; on the command line the CLIs print it and exit with 1
(bad data) or 2 (a bad request), never with a traceback.

| class | raised when | CLI exit |
|---|---|---|
| ``DataError`` | a shop does not meet the data contract (file, column, rows, expected) | 1 |
| ``MissingTableError`` | an analysis needs a table the shop does not have | 1 |
| ``DateError`` | a date parameter is missing or not a date | 2 |
| ``CampaignError`` | a campaign cannot be evaluated as asked (unknown id, too short a pre-period) | 2 |
| ``ReportError`` | a report request is wrong (unknown notebook or parameter, bad value or config) | 2 |
| ``ImportDataError`` | an export cannot be imported (missing column, rows that break the contract) | 1 |
| ``ImportRequestError`` | an import request is wrong (unknown kind, OUT inside SRC or not written by opslib) | 2 |
| ``MappingError`` | a column mapping is wrong or does not fit the export | 2 |
| ``PricingError`` | a pricing estimate cannot be made from the data (no usable weeks, bad bounds) | 1 |
| ``CostsError`` | a shop's ``costs.yml`` is wrong (unknown key, a rate outside 0..1, a negative amount) | 2 |
| ``MarketError`` | the ``market`` table cannot be used as asked (no market-size rows, no period overlap) | 1 |
| ``CLVError``, ``FitError`` | customer data cannot be modelled as asked; a fit did not converge | 1 |
| ``SettingsError`` | a shop's ``shop.yml`` is wrong (unknown currency, country or time zone) | 2 |
| ``NormsError`` | a ``norms.yml`` of process norms is wrong (unknown metric, missing target or owner) | 2 |

Example:
    >>> class ShopError(UserError): ...
    >>> ShopError("orders.csv, line 3: 'yesterday'\\n  expected a date")._render_traceback_()
    ["ShopError: orders.csv, line 3: 'yesterday'", '  expected a date']
    >>> str(DataError(["orders.csv, line 3: 'x' — expected a date"], header="Cannot read orders.csv:"))
    "Cannot read orders.csv:\\n  - orders.csv, line 3: 'x' — expected a date"
"""

from __future__ import annotations

from collections.abc import Iterable


class UserError(Exception):
    """An error caused by the user's input; shown as its message, without a traceback, in notebooks."""

    def _render_traceback_(self) -> list[str]:
        lines = str(self).splitlines() or [""]
        return [f"{type(self).__name__}: {lines[0]}", *lines[1:]]


class DataError(UserError):
    """A shop does not meet the data contract; ``problems`` lists what is wrong, str() is the report.

    ``problems`` are ``opslib.data.Problem`` objects (or anything whose str() is one line of the report).
    """

    def __init__(self, problems: Iterable[object], header: str = "The shop data has problems:") -> None:
        self.problems = list(problems)
        self.header = header
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join([self.header, *(f"  - {p}" for p in self.problems)])


class MissingTableError(DataError):
    """A notebook or function needs a table the shop does not have."""


class DateError(UserError, ValueError):
    """A date given by the user (a parameter, a period, a campaign window) is missing or is not a date."""


class CampaignError(UserError, ValueError):
    """A campaign cannot be evaluated as asked; the message names the campaign and what to do."""


class ReportError(UserError):
    """A mistake in a report request (unknown notebook or parameter, bad value, bad config): exit 2."""


class ImportDataError(UserError):
    """An export cannot be imported (missing column, rows that break the contract); str() is the message."""


class ImportRequestError(ImportDataError):
    """A wrong import request: unknown kind, bad option, an OUT folder the import may not write (exit 2)."""


class MappingError(ImportRequestError):
    """A mapping is wrong or does not fit the export; str() names mapping file, table, field and column."""


class PricingError(UserError, ValueError):
    """Input to a pricing function is unusable: a missing column, no usable weeks, bad bounds ..."""


class CostsError(PricingError):
    """A shop's cost rates (``costs.yml``) are wrong: the message names the file, the key and what is allowed."""


class MarketError(PricingError):
    """The ``market`` table cannot be used as asked: the message says which rows or periods are missing."""


class CLVError(UserError, ValueError):
    """The customer data cannot be summarised or modelled as asked; the message says what to fix."""


class FitError(CLVError):
    """A maximum-likelihood fit did not converge; the message says why."""


class BoundaryWarning(UserWarning):
    """A fit converged to a limit of the model (a mixing distribution collapsed to a point); not an error."""


class SettingsError(UserError):
    """A shop's settings (``shop.yml``) are wrong: the message names the key, the value and what is allowed."""


class NormsError(UserError):
    """A process-norms file (``norms.yml``) is wrong: the message names the file, department, norm, key and what
    is allowed. Command line exit 2."""
