"""Code versions that follow the code: an asset's code version is a hash of its function and of every
project module the function reaches (its imports, the helpers it calls, the resources it is given,
and what those import in turn), so a change to the logic behind an asset makes it stale in the UI and
to the CLI, and a change elsewhere does not.

Comments, docstrings and formatting do not count: sources are compared as syntax trees.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import json
import tempfile
import textwrap
import types
import typing
from pathlib import Path

import dagster as dg

# Modules whose code makes what assets produce. The Dagster layer itself only wires and describes
# (metadata, partitions, jobs), so its modules do not count beyond each asset's own function.
LOGIC_PACKAGES = ("filmcraft", "corpus_ingest", "evaluation", "resources")


def _is_logic(module: str) -> bool:
    return module.split(".")[0] in LOGIC_PACKAGES


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _normalised(source: str) -> str:
    return ast.dump(_strip_docstrings(ast.parse(source)), include_attributes=False)


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_modules(tree: ast.AST, package: str) -> set[str]:
    """Project modules named by the import statements anywhere in ``tree`` (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # submodules imported by name
    return {m for m in found if _is_logic(m) and _module_file(m) is not None}


@functools.lru_cache(maxsize=None)
def _module_source(name: str) -> tuple[str, frozenset[str]]:
    """(normalised source, directly imported project modules) of one module."""
    path = _module_file(name)
    source = path.read_text(encoding="utf-8")
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _normalised(source), frozenset(_imported_modules(ast.parse(source), package))


def _reachable(start: set[str]) -> list[str]:
    """``start`` and every project module their imports reach. A package's ``__init__`` counts with its
    own source but not its imports: it runs when a submodule is imported, yet what it re-exports is not
    what the submodule's code uses."""
    seen: set[str] = set()
    packages: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        packages.update(".".join(parts[:i]) for i in range(1, len(parts)) if _module_file(".".join(parts[:i])))
        todo.extend(_module_source(name)[1])
    return sorted(seen | packages)


def _function_parts(fn: types.FunctionType, seen: set) -> tuple[list[str], set[str]]:
    """Normalised sources of ``fn`` and the same-module helpers it calls, and the project modules it uses."""
    if fn in seen:
        return [], set()
    seen.add(fn)
    source = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(source)
    sources = [_normalised(source)]
    home = fn.__module__
    modules = _imported_modules(tree, home.rpartition(".")[0])
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for name in sorted(names):
        value = fn.__globals__.get(name)
        if isinstance(value, types.ModuleType):
            if _is_logic(value.__name__):
                modules.add(value.__name__)
        elif isinstance(value, types.FunctionType) and value.__module__ == home:
            more_sources, more_modules = _function_parts(value, seen)
            sources += more_sources
            modules |= more_modules
        elif getattr(value, "__module__", None) and _is_logic(value.__module__):
            modules.add(value.__module__)
    try:  # resources and contracts given as parameters
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that cannot be resolved outside the run: its module still counts below
        hints = {}
    for hint in hints.values():
        for t in (hint, *typing.get_args(hint)):
            module = getattr(t, "__module__", "")
            if _is_logic(module):
                modules.add(module)
    return sources, modules


def code_version_of(fn: types.FunctionType) -> str:
    """12 hex digits over ``fn`` and every project module it reaches."""
    sources, modules = _function_parts(fn, set())
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.encode("utf-8"))
    for name in _reachable(modules):
        digest.update(name.encode("utf-8"))
        digest.update(_module_source(name)[0].encode("utf-8"))
    return digest.hexdigest()[:12]


def compute_fn(assets_def: dg.AssetsDefinition) -> types.FunctionType:
    return assets_def.op.compute_fn.decorated_fn


def _sources_fingerprint() -> str:
    """Names, sizes and modification times of every project source file: cheap to read, and any edit moves it."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in (*LOGIC_PACKAGES, "filmaster_assets"):
        for path in sorted((root / package).rglob("*.py")):
            st = path.stat()
            digest.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}\n".encode("utf-8"))
    return digest.hexdigest()[:24]


def _versions(assets: list[dg.AssetsDefinition]) -> dict[str, str]:
    """Code version per asset function. Every step process of the multiprocess executor loads the
    definitions, and parsing the sources takes about a second, so the result is kept in the system temp
    folder under a fingerprint of the sources (an edited file makes a new one)."""
    from filmcraft.store import read_json_or_none, write_text

    cache = Path(tempfile.gettempdir()) / "filmaster-code-versions" / f"{_sources_fingerprint()}.json"
    names = {a.op.name for a in assets}
    cached = read_json_or_none(cache)
    if isinstance(cached, dict) and names <= set(cached):
        return cached
    versions = {a.op.name: code_version_of(compute_fn(a)) for a in assets}
    try:
        write_text(cache, json.dumps(versions, sort_keys=True))
    except OSError:
        pass  # a read-only temp folder only costs the parse next time
    return versions


def with_derived_code_versions(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset with the code version of the function that makes it (never written by hand)."""
    versions = _versions(assets)
    return [a.map_asset_specs(lambda spec, v=versions[a.op.name]: spec.replace_attributes(code_version=v))
            for a in assets]
