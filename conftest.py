"""Doctests of a module that needs an optional dependency are skipped without it."""

import importlib

import pytest

OPTIONAL = {"skgd._onnx": ("skl2onnx", "onnxruntime")}  # module: what its examples import


def _importable(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def pytest_collection_modifyitems(items):
    for item in items:
        module = getattr(getattr(item, "dtest", None), "name", "").rpartition(".")[0]
        missing = [name for name in OPTIONAL.get(module, ()) if not _importable(name)]
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))
