"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9 and newer) on skgd's fits.

A call to ``fit`` is the root task and each epoch one of its subtasks, as
scikit-learn's own iterative estimators report their iterations. At the end
of an epoch the callbacks see the model the fit would return at that point
(``coef_`` and ``intercept_``: the averaged iterate when the fit averages), and
any of them may ask the fit to stop there. With an older scikit-learn, or when
no callback is set and no meta-estimator passed its context down, a fit makes
no callback call at all.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """scikit-learn without ``sklearn.callback``: estimators have no callbacks."""

    def _init_callback_context(estimator, max_epochs):
        return None

else:

    def _init_callback_context(estimator, max_epochs):
        if not (hasattr(estimator, "_skl_callbacks") or hasattr(estimator, "_parent_callback_ctx")):
            return None  # nothing listens: a fit costs no more than without the API
        return estimator._init_callback_context(max_subtasks=max_epochs)


class FitTasks:
    """The tasks of one ``fit``, reported to the callbacks: the fit, then each epoch.

    Parameters
    ----------
    context : sklearn.callback.CallbackContext
        The fit's root context.
    estimator : BaseGD
        The estimator being fitted.
    X, y : arrays
        The training data, as the callbacks' scorers take them.
    sample_weight : array or None
        The user's sample weights (passed to scorers as metadata).
    """

    def __init__(self, context, estimator, X, y, sample_weight):
        self._context = context
        self._epoch = None
        self._arguments = {
            "estimator": estimator,
            "X": X,
            "y": y,
            "metadata": None if sample_weight is None else {"sample_weight": sample_weight},
        }

    @classmethod
    def begin(cls, estimator, max_epochs, X, y, sample_weight):
        """The fit's tasks, its root task begun; None when no callback listens."""
        context = _init_callback_context(estimator, max_epochs)
        if context is None:
            return None
        tasks = cls(context, estimator, X, y, sample_weight)
        context.call_on_fit_task_begin(**tasks._arguments)
        return tasks

    def _model(self):
        # called by the context only when a callback asks for the fitted estimator
        return self._arguments["estimator"]._model_attributes()

    def epoch_begin(self):
        self._epoch = self._context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(**self._arguments, reconstruction_attributes=self._model)

    def epoch_end(self):
        """End the epoch's task; True when a callback asks the fit to stop."""
        stop = self._epoch.call_on_fit_task_end(
            **self._arguments, reconstruction_attributes=self._model
        )
        self._epoch = None
        return bool(stop)

    def end(self):
        """End the fit's task (the estimator itself is then the fitted model)."""
        self._context.call_on_fit_task_end(**self._arguments, reconstruction_attributes={})
