"""skgd: scikit-learn compatible linear models trained by gradient descent.

The public names are imported on first use (PEP 562), so that ``import skgd``
and the ``skgd`` command start at once: the command can then answer Ctrl-C
while scikit-learn and numba are still loading.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "GDClassifier": "._classifier",
    "GDLinearRegressor": "._regressor",
    "LossCurveDisplay": "._plotting",
    "OptimizerPathDisplay": "._plotting",
    "compare_optimizers": "._compare",
    "register_onnx_converters": "._onnx",
    "to_onnx": "._onnx",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
