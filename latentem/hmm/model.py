"""The hidden Markov model as a :class:`~latentem.LatentModel` (Baum-Welch is its EM)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, cast

import numpy as np
from attrs import evolve, field, frozen

from latentem.core.buffers import LendingPool
from latentem.core.model import LatentModel
from latentem.core.stats import AdditiveStatistics
from latentem.core.validation import as_generator, check_int, check_option, readonly_array
from latentem.hmm.emissions.base import Emissions, as_emissions, check_fixed
from latentem.hmm.inference import (
    check_log_emissions,
    map_decode,
    ragged_forward_backward,
    viterbi_decode,
)
from latentem.hmm.kernels import Scratch, take_rows
from latentem.hmm.plan import ScanPlan, scan_plan
from latentem.hmm.probabilities import (
    check_concentration,
    check_probabilities,
    dirichlet_log_prior,
    dirichlet_map,
)
from latentem.hmm.sequences import Sequences, as_sequences

__all__ = ["DECODERS", "HMMStats", "HiddenMarkovModel", "PreparedSequences"]

DECODERS = ("viterbi", "map")


@frozen(eq=False)
class PreparedSequences:
    """Sequences prepared once for an HMM (what :meth:`HiddenMarkovModel.prepare` returns).

    It holds the scan plan, the rows validated and prepared by the emissions
    in the scan's ragged order, and the scan's reusable work arrays; EM
    prepares the data once per fit and every E-step reuses all three.

    Attributes
    ----------
    sequences : Sequences
    plan : ScanPlan
    key : hashable or None
        The emissions' :meth:`~latentem.hmm.emissions.Emissions.data_key` the
        rows were prepared for (None: prepare again for every E-step).
    rows : object
        The emissions' prepared rows, in ragged order.
    scratch : LendingPool
        The forward-backward scan's work arrays.
    labels : ndarray of intp of shape (n_samples,) or None
        The known states in ragged order (-1: unknown), checked against the
        model's states; None when no state is known.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.hmm import HiddenMarkovModel
    >>> from latentem.hmm.emissions import PoissonEmissions
    >>> rates = PoissonEmissions([[1.0], [5.0]])
    >>> hmm = HiddenMarkovModel([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], rates)
    >>> prepared = hmm.prepare(np.array([[0], [1], [6]]))
    >>> prepared.n_samples, hmm.prepare(prepared) is prepared
    (3, True)
    """

    sequences: Sequences
    plan: ScanPlan
    key: Hashable | None
    rows: Any
    scratch: LendingPool[Scratch] = field(factory=LendingPool)
    labels: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of rows over all sequences."""
        return self.sequences.n_samples


@frozen(eq=False)
class HMMStats(AdditiveStatistics):
    """Expected sufficient statistics of an HMM over some sequences.

    Attributes
    ----------
    start : ndarray of shape (n_states,)
        Posterior probability of every state at the first step, summed over
        sequences.
    transitions : ndarray of shape (n_states, n_states)
        Expected number of transitions ``i -> j``.
    emissions : object
        The emissions' statistics (anything with ``+``).
    log_likelihood : float
        ``log p(sequences | parameters)``.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.hmm import HiddenMarkovModel, PoissonEmissions, Sequences
    >>> model = HiddenMarkovModel([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]],
    ...                           PoissonEmissions([[1.0], [6.0]]))
    >>> data = Sequences(np.array([[0], [1], [7], [5], [0]]), [3, 2])
    >>> stats = model.e_step(data)
    >>> float(stats.start.sum()), round(float(stats.transitions.sum()), 12)
    (2.0, 3.0)
    >>> halves = model.e_step(data[[0]]) + model.e_step(data[[1]])
    >>> bool(np.isclose(halves.log_likelihood, stats.log_likelihood))
    True
    """

    start: np.ndarray = field(converter=readonly_array)
    transitions: np.ndarray = field(converter=readonly_array)
    emissions: Any
    log_likelihood: float = field(converter=float)


@frozen(eq=False)
class HiddenMarkovModel(LatentModel):
    """A hidden Markov model with any emission family; EM on it is Baum-Welch.

    Parameters
    ----------
    startprob : array-like of shape (n_states,)
        Probability of each state at the first step of a sequence.
    transmat : array-like of shape (n_states, n_states)
        ``transmat[i, j]`` is the probability of moving from ``i`` to ``j``;
        rows sum to 1. Zeros are structural and stay zero.
    emissions : Emissions or sequence of Distribution
        The emission distribution of every state: one of
        :mod:`latentem.hmm.emissions` or one
        :class:`~latentem.distributions.Distribution` per state (any family).
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet concentrations of the priors on ``startprob`` and on every
        row of ``transmat`` (1 = maximum likelihood).
    fixed : collection of {"startprob", "transmat"}, default=()
        Parameters the M-step keeps (emission parameters are fixed through
        the emissions).

    Notes
    -----
    Data are :class:`~latentem.hmm.Sequences` (``X`` plus ``lengths``, and
    optionally the known ``labels`` of some rows, which every method clamps
    exactly) or one array taken as a single sequence. The E-step is forward-backward
    (:func:`~latentem.hmm.inference.forward_backward`); the statistics are
    the expected start counts, transition counts and the emissions'
    posterior-weighted statistics, which add over sequences. The M-step is
    ``startprob ~ max(start + alpha - 1, 0)``, the same row by row for
    ``transmat``, and the emissions' own update. The objective is
    ``log p(X) + log_prior()``, which Baum-Welch never decreases.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.hmm import HiddenMarkovModel, CategoricalEmissions, Sequences
    >>> model = HiddenMarkovModel(
    ...     startprob=[0.6, 0.4], transmat=[[0.7, 0.3], [0.4, 0.6]],
    ...     emissions=CategoricalEmissions([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]]))
    >>> X = np.array([[0], [1], [2], [0], [2]])
    >>> data = Sequences(X, lengths=[3, 2])
    >>> round(model.log_likelihood(data), 6)
    -5.855626
    >>> model.decode(data)[1]
    array([1, 0, 0, 1, 0])
    >>> result = latentem.EM(max_iter=50, tol=1e-10).fit(model, data)
    >>> bool(result.converged and result.history[-1] > result.history[0])
    True
    """

    startprob: np.ndarray = field(converter=readonly_array)
    transmat: np.ndarray = field(converter=readonly_array)
    emissions: Emissions = field(converter=as_emissions)
    startprob_prior: Any = 1.0
    transmat_prior: Any = 1.0
    fixed: frozenset[str] = field(
        default=frozenset(),
        converter=lambda v: check_fixed(v, ("startprob", "transmat"), "HiddenMarkovModel"),
    )

    def __attrs_post_init__(self) -> None:
        K = self.emissions.n_states
        set_ = object.__setattr__
        set_(self, "startprob", check_probabilities(self.startprob, "startprob", (K,)))
        set_(self, "transmat", check_probabilities(self.transmat, "transmat", (K, K)))
        set_(
            self,
            "startprob_prior",
            check_concentration(self.startprob_prior, "startprob_prior", (K,)),
        )
        set_(
            self,
            "transmat_prior",
            check_concentration(self.transmat_prior, "transmat_prior", (K, K)),
        )

    # -- sizes ------------------------------------------------------------------

    @property
    def n_states(self) -> int:
        """Number of hidden states."""
        return int(self.startprob.shape[0])

    @property
    def n_features(self) -> int:
        """Number of columns of the data."""
        return int(self.emissions.n_features)

    @property
    def n_parameters(self) -> int:
        """Free parameters: ``K - 1`` start, ``K (K - 1)`` transition, and the emissions'."""
        K = self.n_states
        return (K - 1) + K * (K - 1) + int(self.emissions.n_parameters)

    @property
    def m_step_is_exact(self) -> bool:
        """Whether :meth:`m_step` is the exact maximiser: the emissions' say (true by default)."""
        return bool(getattr(self.emissions, "m_step_is_exact", True))

    # -- the protocol -------------------------------------------------------------

    def prepare(self, data: Any) -> PreparedSequences:
        """Validate and prepare sequences once for many E-steps (EM calls it once per fit).

        Every method taking data accepts the result in place of the
        sequences; prepared data passed back is returned as it is when the
        emissions prepare data alike (equal ``data_key``).
        """
        return self._prepared(data, self.emissions.prepare)

    def _prepared(self, data: Any, prepare_rows: Callable[[np.ndarray], Any]) -> PreparedSequences:
        if isinstance(data, PreparedSequences):
            key = self.emissions.data_key()
            if key is not None and key == data.key:
                return data
            sequences, plan, scratch = data.sequences, data.plan, data.scratch
        else:
            sequences = as_sequences(data)
            plan, scratch = scan_plan(sequences.lengths), LendingPool()
        X = take_rows(self.emissions.check_data(sequences.X), plan.layout.rows)
        rows = prepare_rows(X)
        labels = None
        if sequences.labels is not None:
            labels = take_rows(self._check_labels(sequences.labels), plan.layout.rows)
        key = self.emissions.data_key()
        return PreparedSequences(sequences, plan, key, rows, scratch, labels)

    def _check_labels(self, labels: np.ndarray) -> np.ndarray:
        if labels.max() >= self.n_states:
            row = int(np.flatnonzero(labels >= self.n_states)[0])
            raise ValueError(
                f"labels must be states 0 .. {self.n_states - 1} (n_states={self.n_states}) or "
                f"-1 for an unknown state; got {int(labels[row])} at row {row}"
            )
        return labels

    def _prepare(
        self, data: Any, for_statistics: bool = False
    ) -> tuple[PreparedSequences, np.ndarray]:
        """Prepared data and its emission log-probabilities, in the scan's ragged order.

        A row of known state has probability 0 under every other state, so
        every pass clamps the known states exactly. Data given here rather
        than prepared for a fit are prepared for these parameters
        (:meth:`~latentem.hmm.emissions.Emissions.prepare_for_parameters`),
        unless they are ``for_statistics`` (an E-step's, which the data's own
        preparation serves best).
        """
        emissions = self.emissions
        prepare_rows = emissions.prepare if for_statistics else emissions.prepare_for_parameters
        prepared = self._prepared(data, prepare_rows)
        log_emissions = check_log_emissions(self.emissions.log_prob(prepared.rows), self.n_states)
        if prepared.labels is not None:
            known = prepared.labels[:, None]
            other = (known >= 0) & (known != np.arange(self.n_states))
            log_emissions = np.where(other, -np.inf, log_emissions)
        return prepared, log_emissions

    def e_step(self, data: Any) -> HMMStats:
        """Forward-backward: expected start, transition and emission statistics."""
        prepared, log_emissions = self._prepare(data, for_statistics=True)
        plan = prepared.plan
        with prepared.scratch.borrow(Scratch) as scratch:
            result = ragged_forward_backward(
                log_emissions,
                self.startprob,
                self.transmat,
                plan,
                transitions="transmat" not in self.fixed,
                scratch=scratch,
            )
        gamma = cast(np.ndarray, result.posteriors)
        K = self.n_states
        transitions = result.transitions if result.transitions is not None else np.zeros((K, K))
        return HMMStats(
            start=gamma[plan.sequence_first_rows].sum(axis=0),
            transitions=transitions,
            emissions=self.emissions.statistics(prepared.rows, gamma),
            log_likelihood=float(result.log_likelihood.sum()),
        )

    def m_step(self, stats: HMMStats) -> HiddenMarkovModel:
        """Dirichlet MAP start and transition probabilities, and the emissions' update."""
        if not isinstance(stats, HMMStats):
            raise TypeError(f"stats must be HMMStats from e_step; got {type(stats).__name__}")
        startprob = self.startprob
        if "startprob" not in self.fixed:
            startprob = dirichlet_map(stats.start, self.startprob_prior, self.startprob)
        transmat = self.transmat
        if "transmat" not in self.fixed:
            transmat = dirichlet_map(stats.transitions, self.transmat_prior, self.transmat)
        return evolve(
            self,
            startprob=startprob,
            transmat=transmat,
            emissions=self.emissions.maximize(stats.emissions),
        )

    def log_likelihood(self, data: Any) -> float:
        """``log p(sequences | parameters)``, summed over sequences (forward pass only)."""
        return float(self.score_sequences(data).sum())

    def log_prior(self) -> float:
        """Dirichlet log-densities of ``startprob`` and ``transmat`` plus the emissions' prior."""
        return (
            dirichlet_log_prior(self.startprob, self.startprob_prior)
            + dirichlet_log_prior(self.transmat, self.transmat_prior)
            + float(self.emissions.log_prior())
        )

    # -- inference ------------------------------------------------------------------

    def score_sequences(self, data: Any) -> np.ndarray:
        """``log p(x)`` of every sequence, shape (n_sequences,)."""
        prepared, log_emissions = self._prepare(data)
        result = ragged_forward_backward(
            log_emissions,
            self.startprob,
            self.transmat,
            prepared.plan,
            posteriors=False,
            transitions=False,
        )
        return result.log_likelihood

    def score_samples(self, data: Any) -> tuple[float, np.ndarray]:
        """Total log-likelihood and the state posteriors, shape (n_samples, n_states)."""
        prepared, log_emissions = self._prepare(data)
        result = ragged_forward_backward(
            log_emissions, self.startprob, self.transmat, prepared.plan, transitions=False
        )
        gamma = take_rows(cast(np.ndarray, result.posteriors), prepared.plan.positions)
        return float(result.log_likelihood.sum()), gamma

    def predict_proba(self, data: Any) -> np.ndarray:
        """State posteriors ``p(z_t = k | x)``, shape (n_samples, n_states)."""
        return self.score_samples(data)[1]

    def decode(self, data: Any, algorithm: str = "viterbi") -> tuple[float, np.ndarray]:
        """Most probable states: ``(log probability, states)``.

        ``"viterbi"`` gives the most probable path and ``log p(x, path)``;
        ``"map"`` gives the most probable state of every step on its own and
        ``sum_t log max_k p(z_t = k | x)``.
        """
        check_option(algorithm, "algorithm", DECODERS)
        if algorithm == "map":
            prepared = self._prepared(data, self.emissions.prepare_for_parameters)
            lengths = prepared.sequences.lengths
            log_prob, states = map_decode(self.predict_proba(prepared), lengths)
            return float(log_prob.sum()), states
        prepared, ragged = self._prepare(data)
        lengths = prepared.sequences.lengths
        log_emissions = take_rows(ragged, prepared.plan.positions)
        log_prob, states = viterbi_decode(log_emissions, self.startprob, self.transmat, lengths)
        return float(log_prob.sum()), states

    def predict(self, data: Any, algorithm: str = "viterbi") -> np.ndarray:
        """Most probable state of every step (see :meth:`decode`)."""
        return self.decode(data, algorithm)[1]

    def sample(
        self, n_samples: int = 1, random_state: Any = None, currstate: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw one sequence: observations (n_samples, n_features) and states (n_samples,).

        Parameters
        ----------
        n_samples : int
        random_state : None, int, Generator or RandomState
        currstate : int, optional
            State of the first step (drawn from ``startprob`` by default).
        """
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = as_generator(random_state)
        K = self.n_states
        if currstate is None:
            first = int(rng.choice(K, p=self.startprob))
        else:
            first = check_int(currstate, "currstate", minimum=0)
            if first >= K:
                raise ValueError(f"currstate must be a state below n_states={K}; got {first}")
        # the next state from every state for every step, then one walk along them
        draws = rng.random(n_samples)
        cumulative = np.cumsum(self.transmat, axis=1)
        cumulative[:, -1] = 1.0
        successors = np.empty((n_samples, K), dtype=np.intp)
        for k in range(K):
            successors[:, k] = np.searchsorted(cumulative[k], draws, side="right")
        np.minimum(successors, K - 1, out=successors)
        table = successors.tolist()
        states = [first]
        for t in range(1, n_samples):
            states.append(table[t][states[-1]])
        path = np.asarray(states, dtype=np.intp)
        return self.emissions.sample(path, rng), path

    def stationary_distribution(self) -> np.ndarray:
        """A stationary distribution ``pi = pi @ transmat`` (unique for an ergodic chain).

        Examples
        --------
        >>> from latentem.hmm import CategoricalEmissions
        >>> m = HiddenMarkovModel([1.0, 0.0], [[0.9, 0.1], [0.2, 0.8]],
        ...                       CategoricalEmissions([[1.0], [1.0]]))
        >>> m.stationary_distribution().round(6)
        array([0.666667, 0.333333])
        """
        eigenvalues, eigenvectors = np.linalg.eig(self.transmat.T)
        vector = np.real(eigenvectors[:, np.argmin(np.abs(eigenvalues - 1.0))])
        vector = vector / vector.sum()
        return np.clip(vector, 0.0, None) / np.clip(vector, 0.0, None).sum()
