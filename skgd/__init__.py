"""skgd: scikit-learn compatible linear models trained by gradient descent."""

from ._classifier import GDClassifier
from ._compare import compare_optimizers
from ._plotting import LossCurveDisplay, OptimizerPathDisplay
from ._regressor import GDLinearRegressor

__version__ = "0.1.0"

__all__ = [
    "GDClassifier",
    "GDLinearRegressor",
    "LossCurveDisplay",
    "OptimizerPathDisplay",
    "compare_optimizers",
    "__version__",
]
