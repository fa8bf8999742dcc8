"""A topic model written by the user against the protocol: a mixture of multinomials.

Each document is about one topic; its words are drawn from that topic's word
distribution. The model is a :class:`latentem.LatentModel` written here in
about forty lines (statistics with ``+``, ``e_step``, ``m_step``,
``log_likelihood`` and a Dirichlet ``log_prior`` so no word probability is
ever zero); :func:`latentem.testing.check_latent_model` checks it keeps EM's
promises before the engine fits it to a corpus this script generates from
three topics: sport, cooking and space.

The printed top words of each learned topic name the true topics, and the
picture shows the true and learned word distributions side by side.

Run it from any folder: the pictures are written into the current directory.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from attrs import field, frozen
from scipy.optimize import linear_sum_assignment
from scipy.special import gammaln, logsumexp

import latentem
from latentem.testing import check_latent_model

PICTURES = ["topic_model.png"]


# ----------------------------------------------------------------------------- the model


@frozen
class TopicStats(latentem.AdditiveStatistics):
    """Expected documents per topic, expected word counts per topic, and the objective."""

    documents: np.ndarray  # (K,)
    words: np.ndarray  # (K, V)
    log_likelihood: float


@frozen(eq=False)
class MultinomialMixture(latentem.LatentModel):
    """p(document) = sum_k w_k Multinomial(counts | topic_words_k), Dirichlet(alpha) prior."""

    weights: np.ndarray = field(converter=np.asarray)  # (K,)
    topic_words: np.ndarray = field(converter=np.asarray)  # (K, V), rows on the simplex
    alpha: float = 1.1  # > 1 keeps every word probability positive

    def _joint(self, counts):
        """log w_k + log Multinomial(counts_d | topic_words_k), shape (D, K)."""
        counts = np.asarray(counts, dtype=float)
        coefficient = gammaln(counts.sum(axis=1) + 1) - gammaln(counts + 1).sum(axis=1)
        return np.log(self.weights) + counts @ np.log(self.topic_words).T + coefficient[:, None]

    def log_likelihood(self, counts):
        return float(logsumexp(self._joint(counts), axis=1).sum())

    def e_step(self, counts):
        joint = self._joint(counts)
        norm = logsumexp(joint, axis=1, keepdims=True)
        resp = np.exp(joint - norm)
        return TopicStats(resp.sum(axis=0), resp.T @ np.asarray(counts, float), float(norm.sum()))

    def m_step(self, stats):
        words = stats.words + (self.alpha - 1.0)  # the MAP estimate under the prior
        return MultinomialMixture(
            stats.documents / stats.documents.sum(),
            words / words.sum(axis=1, keepdims=True),
            self.alpha,
        )

    def log_prior(self):
        return float((self.alpha - 1.0) * np.log(self.topic_words).sum())


# ----------------------------------------------------------------------------- a corpus

VOCABULARY = {
    "sport": "goal match team score coach league player season referee stadium",
    "cooking": "oven recipe flour sauce butter garlic simmer bake salt pepper",
    "space": "orbit rocket planet launch moon star telescope galaxy comet astronaut",
}
SHARED = ["the", "and", "today", "new", "great", "time", "people", "said", "first", "world"]
words = [w for topic in VOCABULARY.values() for w in topic.split()] + SHARED
rng = np.random.default_rng(0)
true_topics = np.full((3, len(words)), 0.2 / len(SHARED) / 3)
for k, topic in enumerate(VOCABULARY.values()):
    for word in topic.split():
        true_topics[k, words.index(word)] = rng.uniform(0.5, 1.5)
    true_topics[k, -len(SHARED) :] = rng.uniform(0.5, 1.5, len(SHARED)) * 0.6
true_topics /= true_topics.sum(axis=1, keepdims=True)
labels = rng.choice(3, size=300, p=[0.5, 0.3, 0.2])
lengths = rng.integers(20, 60, size=300)
counts = np.stack(
    [rng.multinomial(n, true_topics[z]) for n, z in zip(lengths, labels, strict=True)]
)

# ----------------------------------------------------------------------------- fit and check

start = MultinomialMixture(np.full(3, 1 / 3), rng.dirichlet(np.ones(len(words)), size=3))
check_latent_model(start, counts)  # raises AssertionError naming any broken promise
print("check_latent_model: the protocol holds (monotone, additive, consistent)")

result = latentem.EM(max_iter=500, tol=1e-8).fit(start, counts)
fitted = result.model
print(f"converged={result.converged} after {result.n_iter} iterations")

# topics come out in any order: match them to the true ones
_, match = linear_sum_assignment(-true_topics @ fitted.topic_words.T)
learned = fitted.topic_words[match]
predicted = np.argmax(fitted._joint(counts), axis=1)
accuracy = np.mean(np.argsort(match)[predicted] == labels)
for k, name in enumerate(VOCABULARY):
    top = [words[i] for i in np.argsort(learned[k])[::-1][:5]]
    print(f"learned topic for {name!r:10}: {', '.join(top)}")
print(f"documents assigned to their true topic: {accuracy:.1%}")
if accuracy < 0.95:
    raise SystemExit("the learned topics do not match the true ones")

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, matrix, title in ((axes[0], true_topics, "true topics"), (axes[1], learned, "learned")):
    image = ax.imshow(matrix, aspect="auto", cmap="viridis", vmin=0, vmax=true_topics.max())
    ax.set_title(f"{title}: word probabilities")
    ax.set_xticks(range(len(words)), words, rotation=90, fontsize=7)
    ax.set_yticks(range(3), list(VOCABULARY))
fig.colorbar(image, ax=axes, shrink=0.8)
fig.savefig("topic_model.png", dpi=80, bbox_inches="tight")
print("wrote", ", ".join(PICTURES))
