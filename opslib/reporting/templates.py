"""Reports run from the committed notebook templates, and exploring happens in a scratch copy.

A notebook opened in JupyterLab is saved as you go (autosave): a test edit of a parameter default, a
deleted cell, a half-finished idea end up in ``notebooks/`` and, without a check, in tomorrow's 6 a.m.
report. :func:`template_changes` compares a notebook's cells with the committed version (``git show
HEAD:<path>``): code and markdown sources and the ``parameters`` tag count, outputs, execution counts and
metadata do not (running a notebook is not editing it). The runner refuses a changed template unless
asked with ``--allow-modified`` and then marks the run as such in the index.

``make lab`` opens :func:`scratch_copy`: the templates copied into ``lab/`` (ignored by git), so
exploring never edits a template. A copy you edited is kept; an untouched copy follows the template.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Template states: the committed version, an edited one, or not checkable (no git checkout / no git).
COMMITTED, MODIFIED, UNVERIFIED = "committed", "modified", "unverified"


@dataclass(frozen=True)
class TemplateStatus:
    """Whether a notebook is its committed template: ``state`` and, when modified, what differs."""

    state: str
    detail: str = ""


def cell_signature(nb: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """What makes a notebook *run* differently: per cell its type, source and whether it is the parameters cell.

    Example:
        >>> cell_signature({"cells": [{"cell_type": "code", "source": ["x = 1\\n", "y = 2"], "outputs": [1],
        ...                            "metadata": {"tags": ["parameters"]}}]})
        [('code', 'x = 1\\ny = 2', True)]
    """
    out = []
    for c in nb.get("cells", []):
        src = c.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        tags = (c.get("metadata") or {}).get("tags") or []
        out.append((str(c.get("cell_type", "")), src.rstrip(), "parameters" in tags))
    return out


def signature_hash(nb: dict[str, Any]) -> str:
    """SHA-256 (first 16 hex digits) of :func:`cell_signature`."""
    return hashlib.sha256(json.dumps(cell_signature(nb), ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def _short(line: str, width: int = 70) -> str:
    line = line.strip()
    return line if len(line) <= width else line[: width - 1] + "…"


def describe_changes(old: list[tuple[str, str, bool]], new: list[tuple[str, str, bool]]) -> str:
    """A short account of which cells differ, e.g. ``'cell 1 (parameters) changed: period_days = 28 -> 14'``.

    Example:
        >>> describe_changes([("code", "a = 1", True), ("markdown", "# T", False)],
        ...                  [("code", "a = 2", True), ("markdown", "# T", False)])
        'cell 1 (parameters) changed: a = 1 -> a = 2'
    """
    import difflib

    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and a1 - a0 == b1 - b0:
            for i, j in zip(range(a0, a1), range(b0, b1), strict=True):
                label = f"cell {j + 1}{' (parameters)' if new[j][2] else ''}"
                before, after = old[i][1].splitlines(), new[j][1].splitlines()
                lines = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
                edits = [o for o in lines if o[0] != "equal"]
                if not edits:
                    parts.append(f"{label} changed")
                    continue
                kind, x0, x1, y0, y1 = edits[0]
                more = f" (and {len(edits) - 1} more edits)" if len(edits) > 1 else ""
                if kind == "replace":
                    text = f"{_short(before[x0])} -> {_short(after[y0])}"
                elif kind == "insert":
                    text = f"added {_short(after[y0])!r}"
                else:
                    text = f"removed {_short(before[x0])!r}"
                parts.append(f"{label} changed: {text}{more}")
            continue
        if a1 > a0:
            parts.append(f"{a1 - a0} committed cell(s) removed near cell {a0 + 1}")
        if b1 > b0:
            parts.append(f"{b1 - b0} cell(s) added at cell {b0 + 1}")
    return "; ".join(parts[:4]) + (f"; and {len(parts) - 4} more changes" if len(parts) > 4 else "")


def template_status(notebook: Path) -> TemplateStatus:
    """Is ``notebook`` the committed template? Compared with ``git show HEAD:<path>`` by :func:`cell_signature`.

    ``unverified`` when the folder is no git checkout (or git is missing, or nothing is committed yet);
    ``modified`` with a description when the cells differ or the notebook is not committed at all.
    """
    notebook = Path(notebook).resolve()
    top = _git(["rev-parse", "--show-toplevel"], notebook.parent)
    if top is None or top.returncode != 0:
        return TemplateStatus(UNVERIFIED, "not in a git checkout: cannot compare with the committed template")
    root = Path(top.stdout.decode().strip()).resolve()
    rel = notebook.relative_to(root).as_posix()
    head = _git(["show", f"HEAD:{rel}"], root)
    if head is None:
        return TemplateStatus(UNVERIFIED, "git is not available")
    if head.returncode != 0:
        has_head = _git(["rev-parse", "--verify", "-q", "HEAD"], root)
        if has_head is None or has_head.returncode != 0:
            return TemplateStatus(UNVERIFIED, "the repository has no commit yet")
        return TemplateStatus(MODIFIED, "not committed: no template of this name in the last commit")
    try:
        committed = json.loads(head.stdout.decode("utf-8"))
        current = json.loads(notebook.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        return TemplateStatus(MODIFIED, f"cannot be read as a notebook: {exc}")
    old, new = cell_signature(committed), cell_signature(current)
    if old == new:
        return TemplateStatus(COMMITTED)
    return TemplateStatus(MODIFIED, describe_changes(old, new))


# ----------------------------------------------------------------------------------- scratch copy

SCRATCH_KEY = "opsplaybook_scratch"


def scratch_copy(notebooks: Path, dest: Path) -> list[str]:
    """Copy the templates in ``notebooks`` into ``dest`` for exploring; returns one line per notebook.

    A missing copy is created; a copy still identical (by :func:`cell_signature`) to the template it was
    made from follows the current template; a copy you edited is kept as it is (delete it to start
    again). ``dest`` gets a ``.gitignore`` of ``*`` so nothing in it is committed. Each copy records the
    template it came from in ``metadata.opsplaybook_scratch``.

    Example:
        >>> import tempfile, nbformat
        >>> src, dst = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "lab"
        >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), src / "00_a.ipynb")
        >>> scratch_copy(src, dst)
        ['00_a.ipynb: copied']
        >>> scratch_copy(src, dst)
        ['00_a.ipynb: up to date']
    """
    dest.mkdir(parents=True, exist_ok=True)
    ignore = dest / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# scratch copies of notebooks/ for exploring (make lab): never committed\n*\n",
                          encoding="utf-8")
    lines = []
    for template in sorted(Path(notebooks).glob("*.ipynb")):
        nb = json.loads(template.read_text(encoding="utf-8"))
        tsig = signature_hash(nb)
        target = dest / template.name
        if target.exists():
            try:
                copy = json.loads(target.read_text(encoding="utf-8"))
            except ValueError:
                lines.append(f"{template.name}: kept (not readable as a notebook; delete it to get a fresh copy)")
                continue
            made_from = (copy.get("metadata") or {}).get(SCRATCH_KEY, {}).get("template")
            csig = signature_hash(copy)
            if csig == tsig:
                lines.append(f"{template.name}: up to date")
                continue
            if made_from != csig:
                note = " the template has changed since;" if made_from != tsig else ""
                lines.append(f"{template.name}: kept your edits;{note} delete {target} to start from the template")
                continue
            action = "updated to the current template"
        else:
            action = "copied"
        nb.setdefault("metadata", {})[SCRATCH_KEY] = {"template": tsig, "source": str(template)}
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(target)
        lines.append(f"{template.name}: {action}")
    for extra in ("README.md",):
        if (Path(notebooks) / extra).exists() and not (dest / extra).exists():
            shutil.copy(Path(notebooks) / extra, dest / extra)
    return lines
