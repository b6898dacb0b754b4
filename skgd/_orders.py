"""The order in which each epoch visits the training rows."""

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

# From this many rows on, the next epoch's shuffle is drawn on a second thread
# while the compiled epoch (which releases the GIL) runs: a permutation of
# 200,000 rows takes about 2 ms, 5 % of an epoch; for small data a thread hand-off
# would cost more than the shuffle.
BACKGROUND_SHUFFLE_MIN_ROWS = 50_000


def epoch_orders(rng, n_samples, n_epochs, shuffled):
    """Yield the row order of each of ``n_epochs`` epochs.

    Shuffled orders are permutations drawn in sequence from a generator seeded
    by one draw from ``rng`` (as scikit-learn's SGD seeds its loop), whether or
    not a second thread draws them: a fit is reproducible from its
    ``random_state``, and ``rng`` advances by one draw however many epochs run.
    Unshuffled epochs visit the rows in order.
    """
    if not shuffled:
        everything = np.arange(n_samples)
        for _ in range(n_epochs):
            yield everything
        return
    own = np.random.RandomState(rng.randint(np.iinfo(np.int32).max))
    if n_epochs == 1 or n_samples < BACKGROUND_SHUFFLE_MIN_ROWS:
        for _ in range(n_epochs):
            yield own.permutation(n_samples)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = _draw(pool, own, n_samples)
        for epoch in range(n_epochs):
            order = upcoming.result()
            if epoch + 1 < n_epochs:
                upcoming = _draw(pool, own, n_samples)
            yield order


def _draw(pool, own, n_samples):
    """The next permutation, drawn on ``pool``'s thread, or here when no thread can start.

    During interpreter shutdown (a fit in a thread still running when the main
    script ends, an atexit handler) new threads are refused: the same
    generator then draws the same numbers on the caller's thread.
    """
    try:
        return pool.submit(own.permutation, n_samples)
    except RuntimeError:
        done = Future()
        done.set_result(own.permutation(n_samples))
        return done
