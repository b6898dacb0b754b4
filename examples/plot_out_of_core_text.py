"""
Out-of-core classification of text documents
=============================================

A model that learns from a stream never holds the whole training set in memory:
documents arrive in chunks, each chunk is turned into features and handed to
``partial_fit``, and the chunk is then thrown away. ``HashingVectorizer`` suits
this well: it hashes each word to one of ``n_features`` columns, so it needs no
vocabulary, no ``fit`` and no pass over the data in advance, and every chunk comes
out as a sparse CSR matrix with the same columns, which ``GDClassifier`` takes as
it is (never densified).

The plot follows the accuracy on a held-out test set as the number of training
documents seen grows, for ``GDClassifier`` and for scikit-learn's
``SGDClassifier(loss="log_loss")`` trained on the same chunks through its own
``partial_fit``.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from skgd import GDClassifier

# %%
# A stream of documents
# ---------------------
#
# So that the example runs offline, the documents are generated: each belongs to
# one of four topics. Most of its words are filler, drawn from a shared vocabulary
# of 5,000 words (``w0``, ``w1``, ...) with Zipf frequencies, as in real text,
# where a few words are everywhere and most are rare. About one word in twenty is
# topical, drawn (again with Zipf frequencies) from the topic's own 60 words. A
# document has 20 to 80 words, so a short one may hold no topical word at all and
# even a perfect classifier cannot always tell its topic.

TOPICS = np.array(["sports", "science", "politics", "music"])
FILLER = np.array([f"w{i}" for i in range(5_000)])
TOPIC_WORDS = np.array([[f"{topic}{i}" for i in range(60)] for topic in TOPICS])
TOPICAL_FRACTION = 0.05


def zipf(n_words, exponent=1.1):
    weights = 1.0 / np.arange(1, n_words + 1) ** exponent
    return weights / weights.sum()


def documents(n_documents, seed):
    """``n_documents`` space-joined strings and their topics, the same for the same seed."""
    rng = np.random.default_rng(seed)
    topics = rng.integers(len(TOPICS), size=n_documents)
    lengths = rng.integers(20, 81, size=n_documents)
    n_words = lengths.sum()
    filler = rng.choice(FILLER, size=n_words, p=zipf(len(FILLER)))
    topical = TOPIC_WORDS[np.repeat(topics, lengths), rng.choice(60, size=n_words, p=zipf(60))]
    words = np.where(rng.random(n_words) < TOPICAL_FRACTION, topical, filler)
    texts = [" ".join(doc) for doc in np.split(words, np.cumsum(lengths)[:-1])]
    return texts, TOPICS[topics]


texts, topics = documents(2, seed=0)
for text, topic in zip(texts, topics, strict=True):
    print(f"{topic:>8}: {text[:90]}...")

# %%
# Training chunk by chunk
# -----------------------
#
# Ten chunks of 500 documents are streamed; 2,000 more are held out to measure the
# accuracy after each chunk. The first call to ``partial_fit`` needs ``classes``,
# since a chunk need not hold every topic. ``GDClassifier`` takes its
# preconditioning statistics (the scale of each feature) from that first call and
# keeps them for the rest of the stream, so the first chunk should be
# representative of what follows. ``optimizer="minibatch"`` averages each step's
# gradient over 32 documents: with ``learning_rate="auto"`` its step grows with
# the batch, and it ends here a little more accurate than one-document steps
# (``"sgd"``) while taking 16 steps per chunk instead of 500.

N_CHUNKS, CHUNK_SIZE = 10, 500
vectorizer = HashingVectorizer(n_features=2**18, alternate_sign=False)
test_texts, y_test = documents(2_000, seed=1)
X_test = vectorizer.transform(test_texts)

models = {
    "GDClassifier": GDClassifier(optimizer="minibatch", random_state=0),
    "SGDClassifier": SGDClassifier(loss="log_loss", random_state=0),
}
seen, vectorizing = [], 0.0
accuracy = {name: [] for name in models}
seconds = {name: [] for name in models}  # of each partial_fit call
for chunk in range(N_CHUNKS):
    texts, y = documents(CHUNK_SIZE, seed=100 + chunk)
    start = time.perf_counter()
    X = vectorizer.transform(texts)
    vectorizing += time.perf_counter() - start
    seen.append((chunk + 1) * CHUNK_SIZE)
    for name, model in models.items():
        start = time.perf_counter()
        model.partial_fit(X, y, classes=TOPICS)
        seconds[name].append(time.perf_counter() - start)
        accuracy[name].append(model.score(X_test, y_test))

print(f"vectorizing {N_CHUNKS} chunks: {vectorizing:.2f} s")
for name in models:
    calls = ", ".join(f"{1000 * s:.0f}" for s in seconds[name])
    print(f"{name:>13}: test accuracy {accuracy[name][-1]:.3f}, partial_fit ms per call: {calls}")

# %%
# Accuracy as the stream goes by
# ------------------------------
#
# On the left, the test accuracy against the number of training documents seen;
# on the right, the time each ``partial_fit`` call took (log scale). The first call
# of ``GDClassifier`` also sets up the step size and the feature scales, and in a
# fresh installation compiles skgd's kernels, which are cached for later runs.

fig, (by_documents, per_call) = plt.subplots(1, 2, figsize=(11, 4))
for name in models:
    by_documents.plot(seen, accuracy[name], marker="o", label=name)
    per_call.plot(seen, 1000 * np.array(seconds[name]), marker="o", label=name)
by_documents.set_xlabel("training documents seen")
by_documents.set_ylabel("held-out accuracy")
by_documents.legend()
per_call.set_yscale("log")
per_call.set_xlabel("training documents seen")
per_call.set_ylabel("milliseconds in this partial_fit call")
fig.tight_layout()
plt.show()
