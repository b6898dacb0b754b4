"""Parameter and attribute descriptions shared by the estimators' docstrings."""

COMMON_PARAMETERS = """\
    optimizer : {"batch", "sgd", "minibatch", "momentum", "rmsprop", "adam", \
"nesterov", "adamax", "adagrad", "amsgrad", "adadelta", "schedule_free_sgd", \
"nadam", "prodigy", "schedule_free_adamw"}, default="adam"
        Update rule and batching. "batch": plain gradient step on all samples;
        "sgd": plain step on one sample; "minibatch": plain step on
        ``batch_size`` samples; the others: that rule on ``batch_size``
        samples. ``batch_size >= n_samples`` gives full batches.
        With step size ``eta`` (``learning_rate``) and batch gradient ``g``:

        - plain: ``theta = theta - eta * g``
        - momentum: ``v = beta * v + (1 - beta) * g ; theta = theta - eta * v``
        - rmsprop: ``s = beta2 * s + (1 - beta2) * g**2 ;
          theta = theta - eta * g / (sqrt(s) + epsilon)``
        - adam: ``m = beta * m + (1 - beta) * g ; s = beta2 * s + (1 - beta2) * g**2 ;
          m_hat = m / (1 - beta**t) ; s_hat = s / (1 - beta2**t) ;
          theta = theta - eta * m_hat / (sqrt(s_hat) + epsilon)``
        - nesterov: ``v = beta * v + (1 - beta) * g ;
          theta = theta - eta * (beta * v + (1 - beta) * g)``
        - adamax: ``m = beta * m + (1 - beta) * g ; u = max(beta2 * u, |g| + epsilon) ;
          theta = theta - eta / (1 - beta**t) * m / u``
        - adagrad: ``s = s + g**2 ; theta = theta - eta * g / (sqrt(s) + epsilon)``
        - amsgrad: adam's ``m`` and ``s`` ; ``s_max = max(s_max, s) ;
          theta = theta - eta * (m / (1 - beta**t)) / (sqrt(s_max / (1 - beta2**t)) + epsilon)``
        - adadelta: ``s = beta2 * s + (1 - beta2) * g**2 ;
          delta = g * sqrt(u + epsilon) / sqrt(s + epsilon) ;
          u = beta2 * u + (1 - beta2) * delta**2 ; theta = theta - eta * delta``
        - schedule_free_sgd: the gradient ``g`` is taken at ``y``, the model
          (``coef_``, predictions) is ``x``; ``y``, ``x`` and ``z`` start at the
          starting model: ``z = z - eta * g ; x = (1 - 1/t) * x + (1/t) * z ;
          y = beta * x + (1 - beta) * z``
        - nadam: adam's ``m`` and ``s`` ;
          ``m_bar = beta * m / (1 - beta**(t+1)) + (1 - beta) * g / (1 - beta**t) ;
          theta = theta - eta * m_bar / (sqrt(s / (1 - beta2**t)) + epsilon)``
        - prodigy: Adam without bias correction on steps ``eta * d`` long, ``d``
          an estimate of the distance to the optimum, one number for all
          coordinates (``d = 1e-6`` at first, ``x0`` the starting model,
          ``beta3 = sqrt(beta2)``, sums over every coefficient and intercept):
          ``r = beta3 * r + (1 - beta3) * eta * d**2 * <g, x0 - theta> ;
          s = beta3 * s + (1 - beta3) * eta * d**2 * g ;
          m = beta * m + (1 - beta) * d * g ; v = beta2 * v + (1 - beta2) * d**2 * g**2 ;
          d_next = max(d, r / ||s||_1) ;
          theta = theta - eta * d * m / (sqrt(v) + d_next * epsilon) ; d = d_next``
        - schedule_free_adamw: as schedule_free_sgd, with
          ``s = beta2 * s + (1 - beta2) * g**2 ;
          z = z - eta * g / (sqrt(s / (1 - beta2**t)) + epsilon)``

    learning_rate : float > 0 or "auto", default="auto"
        Initial step size ``eta``. "auto" derives it from the data, in the
        solver's coordinates (see ``precondition``), so that no optimizer
        diverges: ``1 / L`` for plain steps, where ``L`` is the smoothness
        constant of the objective for the batch size used (a power-iteration
        estimate of the Gram matrix's largest eigenvalue for full batches, the
        largest row norm for single samples); ``1 / ((1 - beta) L)`` for
        full-batch momentum and nesterov, ``1 / L`` for them on smaller batches;
        for adam, adamax, amsgrad, nadam and schedule_free_adamw, whose steps
        have the same length whatever the gradient's scale,
        the median coordinate of the first safe gradient step ``|grad J(0)| / L``
        (with the full-batch ``L``, whatever ``batch_size``; coordinates that
        are zero up to rounding left out); for rmsprop, which lacks bias
        correction, its largest coordinate times ``sqrt(1 - beta2)``; for
        adagrad, whose step ``t`` is about ``a / sqrt(t)`` long, adam's times
        ``sqrt(T)``: ``T`` is 30 epochs of steps, or 1000 full-batch steps; for
        adadelta, the step whose median first step is adam's; for
        schedule_free_sgd, plain steps' ``1 / L``; for prodigy, which
        estimates its step's length itself, 1 (``eta`` multiplies ``d``). Details
        in the user guide. The value used is ``learning_rate_``.
    schedule : {"auto", "constant", "invscaling", "adaptive"}, default="auto"
        How the step evolves. "constant": fixed; "invscaling":
        ``eta / t**power_t`` at step ``t``; "adaptive": divided by 5 when the
        stopping rule finds the fit at the noise floor of its step, multiplied
        by 5 again (up to the initial step) when it finds it crawling without
        noise. "auto": "constant" for the full-batch plain, momentum and
        nesterov steps ("batch", and "minibatch", "momentum" or "nesterov" with
        ``batch_size >= n_samples``: a deterministic step needs no decay) and
        for schedule_free_sgd and full-batch schedule_free_adamw (their model,
        a mean of their iterates, needs none), "adaptive" otherwise (noisy
        steps must shrink to converge); for full-batch nadam it also divides
        the step when the step nears the limit beyond which NAdam's steps turn
        unstable on the objective's curvature, and so does any schedule of
        full-batch schedule_free_adamw (by 1.5, restarting its mean ``x`` at
        ``y``).
        "adaptive" acts on the stopping rule's
        checks, which ``tol=None`` turns off: for a fixed budget of a few
        epochs on large data, "invscaling" gets much closer to the optimum.
    power_t : float >= 0, default=0.25
        Exponent of the "invscaling" schedule.
    beta : float in [0, 1), default=0.9
        Decay of the first moment (the velocity of momentum and nesterov, the
        ``m`` of adam, adamax, amsgrad, nadam and prodigy), or the weight of ``x`` in
        schedule-free's ``y``.
    beta2 : float in [0, 1), default=0.999
        Decay of the second moment ``s`` (rmsprop, adam, amsgrad, nadam,
        schedule_free_adamw, adadelta, whose ``u`` decays at the same rate; prodigy's
        ``v``, and its ``r`` and ``s`` at ``sqrt(beta2)``) or
        of adamax's ``u``;
        adagrad sums its ``s`` without decay.
    epsilon : float > 0, default=1e-8
        Added to ``sqrt(s)`` (rmsprop, adagrad), ``sqrt(s_hat)`` (adam,
        nadam, schedule_free_adamw),
        ``sqrt(s_max / (1 - beta2**t))`` (amsgrad), ``|g|`` (adamax), or
        inside both roots (adadelta); times ``d`` to ``sqrt(v)`` (prodigy).
    batch_size : int >= 1 or "auto", default="auto"
        Samples per step for every optimizer but "batch" and "sgd". "auto" is
        32, except on sparse input for the rules other than "minibatch",
        "momentum" and "nesterov", whose steps move every coordinate: there
        it is ``n_features`` divided by the mean non-zeros per row (at least
        32), so that a step's pass over the parameters costs about what
        reading its batch does.
    average : bool or int >= 1, default=False
        Averaged stochastic gradient descent (Polyak-Ruppert), as in
        scikit-learn's ``SGDRegressor``: True makes ``coef_`` and
        ``intercept_`` the mean of the parameters after each step since the
        first; an int ``n`` the mean from the step whose batch holds the
        ``n``-th sample the optimizer has seen (counted over epochs and
        ``partial_fit`` calls; ``average=1`` is True), and the last iterate
        until then. The mean removes the noise of steps on batches smaller
        than the data, and is the model throughout: the stopping rule (see
        ``tol``) certifies it, never restarts it nor trades it for the last
        iterate, and ``partial_fit`` and warm starts continue it. It has no
        effect on full batches (``fit`` whose steps take every sample:
        "batch", or ``batch_size >= n_samples``): their exact steps have no
        noise to remove, and their mean would converge as ``1 / t`` where
        they converge linearly. ``partial_fit`` averages any batch, a chunk
        being a sample of the data. "schedule_free_sgd", whose model ``x`` is
        already the mean of its ``z`` since the first step, raises ValueError.
    max_iter : int >= 1, default=5000
        Maximum number of epochs (passes over the training data).
    tol : float >= 0 or None, default=1e-4
        Relative gap to the optimum at which training stops: the fit stops once
        it certifies ``J(coef_) - min J <= tol * J(coef_)``, estimated from the
        full gradient ``g`` and Hessian ``H`` of the objective as
        ``g^T H^-1 g`` (twice the true gap for the squared error; an upper
        bound near the optimum for the log-losses). A smaller tol gives a
        closer fit. Checks follow a full batch's gradient, or a plateau of the
        noisy epoch objective (``n_iter_no_change`` epochs without improving
        it by ``tol`` relative), after which stochastic and adaptive fits
        average their iterates (unless ``average`` already does). A fit that
        reaches ``max_iter`` first warns with its estimate. With
        ``early_stopping`` (and for models of more than 1000 parameters) only
        the plateau rule applies; the latter then estimate their gap once, by
        conjugate gradients, and warn when it is above ``tol``. None runs
        exactly ``max_iter`` epochs of the rule.
    n_iter_no_change : int >= 1, default=10
        Epochs without improvement that make a plateau (see ``tol``), and the
        spacing of the first checks of an averaged fit.
    alpha : float in [0, 1e300], default=0.0 (regressor), 1e-4 (classifier)
        Strength of the L2 penalty ``alpha * ||coef_||^2`` added to the mean loss.
    fit_intercept : bool, default=True
        Whether to fit an intercept (never penalized).
    shuffle : bool, default=True
        Whether to visit the samples in a new random order each epoch (the
        data is never copied for it).
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling. An int gives bit-identical fits.
    warm_start : bool, default=False
        Continue from the previous fit's coefficients, optimizer state and step
        size. If a parameter of the optimizer (``optimizer``, ``learning_rate``,
        ``schedule``, ``power_t``, ``beta``, ``beta2``, ``epsilon``,
        ``batch_size``, ``average``, ``alpha``, ``fit_intercept``,
        ``precondition``) changed
        since, the coefficients are kept and the optimizer starts afresh (zero
        moments, ``t_ = 0``, a new step size and solver's coordinates).
    verbose : int, default=0
        Print one line per epoch when positive: epoch, loss, step size and,
        with early stopping, the validation score.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (stratified for
        the classifier), stop when the loss on them has not improved by ``tol``
        (relative to the best so far) for ``n_iter_no_change`` epochs, and
        keep the coefficients that had the lowest validation loss.
    validation_fraction : float in (0, 1), default=0.1
        Share of the rows held out when ``early_stopping`` is True.
    record_path : bool, default=False
        Record the coefficients after every step in ``coef_path_`` and
        ``intercept_path_`` (for ``OptimizerPathDisplay``). Memory is bounded:
        once a fit has taken more than 10,000 steps, every ``record_stride_``-th
        step is kept (the stride doubles, dropping every other row, each time
        the steps outgrow 10,000 intervals).
    record_steps : bool, default=False
        Record the objective of every step's batch, before its step, in
        ``step_loss_curve_``: the noisy per-step view of ``loss_curve_`` (which
        averages them over each epoch). Bounded as ``record_path``, with the
        same stride.
    precondition : bool, default=True
        Run the update rule in standardized coordinates: features centred on
        their weighted mean (dense input with an intercept) and divided by
        their weighted standard deviation (root mean square when not centred:
        sparse input, never densified, or ``fit_intercept=False``). The
        objective and its minimizer are unchanged and every attribute is in
        the units of ``X``; only the path differs. False runs the textbook
        rule on the features as given, step for step. ``partial_fit`` keeps
        the statistics of its first call.
"""

COMMON_ATTRIBUTES = """\
    loss_curve_ : list of float
        One entry per epoch: the objective (mean loss plus penalty) averaged
        over the epoch's batches, each batch's term evaluated at the
        coefficients just before that batch's step. For full batches this is
        the objective at the start of the epoch. It follows the optimizer's
        iterates: once a fit averages them (see ``tol`` and ``average``),
        ``coef_`` is their average, whose objective is lower than the noisy
        iterates' curve.
    time_curve_ : list of float
        Seconds of training, from the start of the first fit (accumulated over
        warm starts and ``partial_fit`` calls, the time between calls left out),
        at the end of each epoch of ``loss_curve_``, its stopping checks included.
    n_iter_ : int
        Epochs run (accumulated over warm starts); ``len(loss_curve_)``.
    best_loss_ : float
        Lowest loss the stopping rule saw: the training objective, or with
        ``early_stopping`` the validation loss (mean squared error or log-loss
        of the held-out rows, weighted) of the kept coefficients.
    validation_scores_ : list of float or None
        With ``early_stopping``, the score (R^2 or accuracy) on the held-out rows
        after each epoch, ``len(validation_scores_) == n_iter_``; else None.
    best_validation_score_ : float or None
        With ``early_stopping``, the best validation score of the fit,
        ``max(validation_scores_)`` (as in ``MLPClassifier``). The kept
        coefficients are those of the lowest validation *loss* (``best_loss_``);
        for the regressor their score is this one, for the classifier the
        accuracy may peak at another epoch.
    t_ : int
        Steps taken by the current optimizer state (Adam's ``t``).
    learning_rate_ : float
        The step size of the last step taken (after the schedule's decay or
        reductions).
    optimality_gap_ : float or None
        The stopping rule's estimate of ``J(coef_) - min J`` at the end of the
        fit (see ``tol``); None when the fit was not checked (``tol=None``,
        ``early_stopping``, ``partial_fit``).
    coef_path_ : ndarray of shape (`t_` + 1, `*coef_.shape`)
        With ``record_path``, the coefficients before the first step and after
        every step (the optimizer's iterates: an averaged fit's ``coef_`` is
        their average); row ``k`` is the model after step
        ``k * record_stride_``. A warm start that switches ``record_path`` on
        while the optimizer goes on records from there: its first row is the
        model it starts from, and the path then has fewer than ``t_ + 1`` rows,
        the last ``len(coef_path_) - 1`` steps.
    intercept_path_ : ndarray of shape (`t_` + 1, `*np.shape(intercept_)`)
        With ``record_path``, the intercepts likewise.
    step_loss_curve_ : ndarray of shape (`t_`,)
        With ``record_steps``, the objective of each step's batch before the
        step (its weighted mean loss plus the penalty); value ``k`` is that of
        step ``(k + 1) * record_stride_`` (counted, after a warm start that
        switches it on, from the step it starts at).
    record_stride_ : int
        With ``record_path`` or ``record_steps``: the steps between two recorded
        rows, 1 until a fit takes more than 10,000 steps.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
"""
