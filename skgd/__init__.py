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
    "LearningRateSweepDisplay": "._sweep",
    "LossCurveDisplay": "._plotting",
    "OptimizerPathDisplay": "._plotting",
    "compare_optimizers": "._compare",
    "format_comparison": "._compare",
    "minimize": "._minimize",
    "objective": "._objective",
    "optimal_objective": "._objective",
    "register_onnx_converters": "._onnx",
    "to_onnx": "._onnx",
}
_SUBMODULES = {"functions"}  # public modules, also imported on first use

__all__ = [*_PUBLIC, *_SUBMODULES, "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC) | _SUBMODULES)
