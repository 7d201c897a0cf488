"""The package's imports point one way: datasets and features never import the
estimators, the torch modules know nothing of scikit-learn or skorch, and no
part imports the package's ``__init__``."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "skcnn"

# what each part of skcnn may import from the others
ALLOWED = {
    "utils": set(),
    "features": {"utils"},
    "modules": {"utils"},
    "augment": {"utils"},
    "metrics": {"utils"},
    "datasets": {"features", "utils"},
    "separation": {"features", "utils"},
    "segments": {"features", "utils"},
    "estimators": {"modules", "augment", "utils"},
    "inspection": {"modules", "segments", "utils"},
    # published networks: their modules, their front ends, the datasets' download cache
    "pretrained": {"modules", "features", "datasets", "utils"},
}


def _imports(path):
    """(part of skcnn, external top-level package) pairs that ``path`` imports."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = list(package[:len(package) - node.level + 1])
            target += node.module.split(".") if node.module else [node.names[0].name]
            found.add(("skcnn", target[1] if len(target) > 1 else "__init__"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(("external", node.module.split(".")[0]))
        elif isinstance(node, ast.Import):
            found.update(("external", alias.name.split(".")[0]) for alias in node.names)
    return found


def _part(path):
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "__init__.py")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path):
    part = _part(path)
    assert part in ALLOWED, f"{part} is a new part of skcnn: say what it may import"
    for kind, name in _imports(path):
        if kind == "skcnn" and name != part:
            assert name in ALLOWED[part], f"{path.name} ({part}) imports skcnn.{name}"
        if part == "modules" and kind == "external":
            assert name not in ("sklearn", "skorch"), f"{path.name} imports {name}"


# inside skcnn.metrics: the scorers import the metrics, the metrics the checks they share
METRICS_LAYERS = {"_checks": 0, "_frames": 1, "_events": 1, "_psds": 1, "_pitch": 1, "_separation": 1,
                  "_scorers": 2, "__init__": 3}


@pytest.mark.parametrize("path", sorted((PACKAGE / "metrics").glob("*.py")), ids=lambda p: p.name)
def test_metrics_modules_import_downwards(path):
    layer = METRICS_LAYERS.get(path.stem)
    assert layer is not None, f"metrics/{path.name} is new: give it a layer in METRICS_LAYERS"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for name in [node.module] if node.module else [alias.name for alias in node.names]:
                assert METRICS_LAYERS.get(name, layer) < layer, f"metrics/{path.name} imports {name}"
