"""Issue #13 (one house with clean layers): thin ``tc.tl`` front doors, shared checks in ``tl/_common.py``,
``classifier/`` holding only the model, and no up-calls into the ``tamclass`` namespace from ``tl/``.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tamclass"
#: front door -> module; each is resolve -> compute (named helpers) -> write
FRONT_DOORS = {"gate": "_gate.py", "classify": "_classify.py", "train": "_train.py", "summarize": "_summarize.py"}
MAX_CODE_LINES = 60


def code_lines(path: Path, name: str) -> int:
    """Lines of a function holding code: no docstring, comments or blank lines (the signature counts)."""
    source = path.read_text(encoding="utf-8")
    func = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name)
    doc = set()
    if ast.get_docstring(func) is not None:
        doc = set(range(func.body[0].lineno, func.body[0].end_lineno + 1))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in skip:
            continue
        lines.update(
            ln for ln in range(tok.start[0], tok.end[0] + 1) if func.lineno <= ln <= func.end_lineno and ln not in doc
        )
    return len(lines)


@pytest.mark.parametrize("name", list(FRONT_DOORS))
def test_front_doors_are_thin(name):
    n = code_lines(SRC / "tl" / FRONT_DOORS[name], name)
    assert n <= MAX_CODE_LINES, f"tc.tl.{name} has {n} code lines (> {MAX_CODE_LINES}): move a step into a helper"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            yield node, node.module or "", [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            yield node, "", [a.name for a in node.names]


def test_no_private_helper_imported_from_another_front_door():
    doors = {f.removesuffix(".py") for f in FRONT_DOORS.values()} | {"_score"}
    bad = [
        f"{path.name}: from .{module} import {name}"
        for path in (SRC / "tl").glob("*.py")
        for node, module, names in _imports(path)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and module in doors
        for name in names
        if name.startswith("_")
    ]
    assert not bad, bad


def test_tl_does_not_call_up_into_the_namespace():
    bad = [
        f"{path.name}:{node.lineno}"
        for path in (SRC / "tl").glob("*.py")
        if path.name != "_score.py"  # another helper's file (issue 13)
        for node, module, names in _imports(path)
        if "tamclass" in names or module == "tamclass"
    ]
    assert not bad, bad


def test_classifier_holds_only_the_model():
    modules = {p.name for p in (SRC / "classifier").glob("*.py")}
    assert "_scores.py" not in modules and "_seeds.py" not in modules


def test_gate_selects_panels_by_role_not_position():
    for path in (SRC / "tl" / "_gate.py", SRC / "gating" / "_rules.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
                cols = node.slice.elts[1:]  # S[:, 1], S[:, :4]: a column chosen by its index
                positional = [c for c in cols if isinstance(c, ast.Slice) or isinstance(getattr(c, "value", None), int)]
                assert not positional, f"{path.name}:{node.lineno}: a column chosen by position"
