"""The package's layers (docs/architecture.md), checked on the source with ``ast``: no import cycles, no import up
the layer order, no ``import tamclass`` inside the package.

Every ``import`` / ``from ... import`` counts, at module level and inside functions, except those under
``if TYPE_CHECKING:``. Lazy re-exports (``_lazy.lazy_namespace`` string tables, ``importlib.import_module`` calls,
the root ``tamclass/__init__.py`` facade) are not imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tamclass"
PKG = "tamclass"

#: lowest first; a module may import modules of its own layer or lower ones, never higher ones
LAYERS = ["base", "kernels", "signatures", "engine", "adapter", "tools", "outputs", "cli"]

#: module (dotted, without "tamclass.") -> layer; the longest matching prefix wins
LAYER_OF = {
    "_errors": "base",
    "errors": "base",  # the public re-export of _errors
    "_keys": "base",  # output key names and label vocabulary: constants only
    "_settings": "base",
    "_version": "base",
    "_lazy": "base",
    "_files": "base",
    "scoring._kernels": "kernels",
    "scoring._aucell_kernels": "kernels",
    "scoring._cache": "kernels",  # where numba caches the kernels (imported by them)
    # gating's panels map human markers to mouse with the signatures' ortholog table, so gating sits beside the
    # signatures: below the engine and everything that reads AnnData (numpy / pandas / scikit-learn only)
    "gating": "signatures",
    "signatures": "signatures",
    "scoring": "engine",
    "classifier": "engine",
    # the public Model object reads an AnnData (Model.predict / predict_proba go through the input adapter), so it
    # sits with the front doors; the network, fitting, calibration, serialisation and device code stay engine
    "classifier._model": "tools",
    "_values": "adapter",
    "_data": "adapter",
    "_dask": "adapter",
    "_io": "adapter",
    "pp": "adapter",
    "datasets": "adapter",
    "tl": "tools",
    "get": "tools",
    "pl": "outputs",
    "report": "outputs",
    "prognosis": "outputs",
    "cli": "cli",
    "__main__": "cli",
}

#: within one layer: (importer prefix, imported prefix) pairs that are still forbidden
FORBIDDEN_SAME_LAYER = [
    ("pl", "prognosis"),  # plots are duck-typed; result classes' .plot() may import pl, never the reverse
]

#: Exact edges exempt from the checks, each with its reason: (importer, imported) or (importer, "import tamclass").
#: Empty: every module keeps to its layer.
ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)  # "" is the root package


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the statements inside ``if TYPE_CHECKING:`` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skip.update(id(n) for n in ast.walk(child))
    return skip


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest existing module that ``name`` (dotted, relative to the package) refers to."""
    parts = name.split(".") if name else []
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(mod: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], list[int]]:
    """``(imported modules, lines of 'import tamclass')`` of one module (all levels, TYPE_CHECKING excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = mod.split(".") if _is_package(path) else mod.split(".")[:-1]
    if mod == "":
        package = []
    out: set[str] = set()
    absolute: list[int] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PKG or alias.name.startswith(PKG + "."):
                    absolute.append(node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and (node.module == PKG or node.module.startswith(PKG + ".")):
                    absolute.append(node.lineno)
                continue
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else list(package)
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                full = f"{target}.{alias.name}" if target else alias.name
                hit = full if full in modules else _resolve(target, modules)
                if hit is not None and hit != mod:
                    out.add(hit)
    return out, absolute


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules)[0] for m, p in modules.items()}


def layer_of(mod: str) -> str | None:
    best = None
    for prefix, layer in LAYER_OF.items():
        if (mod == prefix or mod.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


def _under(mod: str, prefix: str) -> bool:
    return mod == prefix or mod.startswith(prefix + ".")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _path_in(graph: dict[str, set[str]], comp: list[str]) -> str:
    """One concrete cycle inside a strongly connected component, as 'a -> b -> a'."""
    members = set(comp)
    start = comp[0]
    seen = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    return " -> ".join([*seen[v], start])
                if w not in seen:
                    seen[w] = [*seen[v], w]
                    nxt.append(w)
        frontier = nxt
    return " <-> ".join(comp)  # pragma: no cover


def test_every_module_has_a_layer(graph):
    missing = [m for m in graph if m and layer_of(m) is None]
    assert not missing, f"modules without a layer (add them to LAYER_OF): {missing}"


def test_no_import_cycles(graph):
    cycles = [_path_in(graph, comp) for comp in _cycles(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_import_up_the_layers(graph):
    bad = []
    for mod, targets in graph.items():
        if not mod:  # the root facade re-exports lazily
            continue
        rank = LAYERS.index(layer_of(mod))
        for target in sorted(targets):
            if not target or (mod, target) in ALLOWED:
                continue
            up = LAYERS.index(layer_of(target)) > rank
            sideways = any(_under(mod, a) and _under(target, b) for a, b in FORBIDDEN_SAME_LAYER)
            if up or sideways:
                bad.append(f"{mod} ({layer_of(mod)}) -> {target} ({layer_of(target)})")
    assert not bad, "imports up the layer order:\n" + "\n".join(bad)


def test_no_absolute_self_import():
    modules = _modules()
    bad = []
    for mod, path in modules.items():
        for line in _imports(mod, path, modules)[1]:
            if (mod, "import tamclass") not in ALLOWED:
                bad.append(f"{path.relative_to(SRC.parent)}:{line}")
    assert not bad, "'import tamclass' / 'from tamclass' inside the package (import the module relatively):\n" + (
        "\n".join(bad)
    )


def test_allowlist_is_not_stale(graph):
    """An allowed edge that no longer exists must leave the list."""
    modules = _modules()
    stale = []
    for mod, target in sorted(ALLOWED):
        if mod not in modules:
            stale.append((mod, target))
        elif target == "import tamclass":
            if not _imports(mod, modules[mod], modules)[1]:
                stale.append((mod, target))
        elif target not in graph[mod]:
            stale.append((mod, target))
    assert not stale, f"remove from ALLOWED (fixed): {stale}"


def test_parser_sees_function_level_and_skips_type_checking(tmp_path):
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .b import X\n"
        "def f():\n    from .c import y\n    import tamclass as tc\n"
    )
    pkg = tmp_path / "p"
    pkg.mkdir()
    path = pkg / "a.py"
    path.write_text(code)
    modules = {"p.a": path, "p.b": pkg / "b.py", "p.c": pkg / "c.py"}
    imported, absolute = _imports("p.a", path, modules)
    assert imported == {"p.c"} and absolute == [6]
