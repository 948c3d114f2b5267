"""The package's layers point only down, and no import circle exists (module-level, function-local
and type-only imports all count): read from the source with ``ast``, so it stays true as code moves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "textaug"

#: Bottom to top. A module may import its own layer or lower ones, never a higher one. The
#: package's ``__init__`` (the public API, lazy where torch is involved) sits on top of all.
LAYERS: list[tuple[str, ...]] = [
    # resources and plain data I/O
    ("atomic", "table_io", "data", "metrics", "sampling", "significance", "resources", "sources", "storage", "vectors"),
    ("augment",),
    ("config", "config_file", "ray_engine"),
    ("models",),
    ("training", "predict", "card", "hub", "confidence"),
    ("tuning", "demo", "cli"),
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _with_parents(name: str, importer: str) -> set[str]:
    """``name`` and the packages whose ``__init__`` importing it runs, less those the importer is
    already inside (and ``textaug`` itself, imported first by everything)."""
    parts, out = name.split("."), set()
    for end in range(2, len(parts) + 1):
        module = ".".join(parts[:end])
        if module == name or not (importer + ".").startswith(module + "."):
            out.add(module)
    return out


def import_edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # `from x import y`: y is a submodule, or a name defined in x
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != module:
                    edges[module] |= {t for t in _with_parents(target, module) if t in modules and t != module}
    return edges


def layer_of(module: str) -> int:
    if module == "textaug":
        return len(LAYERS)
    top = module.split(".")[1]
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer():
    for module in _modules():
        layer_of(module)


def test_no_import_points_up_a_layer():
    upward = sorted(f"{a} -> {b}" for a, targets in import_edges(_modules()).items() for b in targets
                    if layer_of(b) > layer_of(a))
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_import_circle():
    assert circles(import_edges(_modules())) == []


def test_the_checker_sees_circles_and_upward_edges(tmp_path):
    """The walker itself: a relative import, a function-local one and a package __init__ count."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c"]]
    modules = _modules()
    assert "textaug.resources" in import_edges(modules)["textaug.vectors"]  # module level, relative
    # importing textaug.models.encoding from outside runs textaug/models/__init__.py too
    assert _with_parents("textaug.models.encoding", "textaug.predict") == {"textaug.models",
                                                                           "textaug.models.encoding"}
    assert _with_parents("textaug.models.encoding", "textaug.models.static") == {"textaug.models.encoding"}
    with pytest.raises(AssertionError, match="in no layer"):
        layer_of("textaug.elsewhere")
