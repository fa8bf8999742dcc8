"""Several sequences stacked in one array: ``X`` plus ``lengths``, validated once."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.validation import readonly_array

__all__ = ["Sequences", "as_sequences", "check_labels", "check_lengths", "split_sequences"]


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


def _unchecked(value: Any) -> Any:
    return value


def check_lengths(lengths: Any, n_samples: int) -> np.ndarray:
    """Validate sequence lengths against the number of rows of ``X``.

    Parameters
    ----------
    lengths : array-like of int or None
        Length of every sequence, in the order the sequences are stacked in
        ``X``; None means one sequence of all rows.
    n_samples : int
        Number of rows of ``X``.

    Returns
    -------
    lengths : ndarray of int of shape (n_sequences,)
        A new read-only array.

    Examples
    --------
    >>> check_lengths([2, 3], 5)
    array([2, 3])
    >>> check_lengths([2, 2], 5)
    Traceback (most recent call last):
    ...
    ValueError: lengths must sum to the number of rows of X (5); got sum(lengths) = 4. ...
    """
    if lengths is None:
        if n_samples < 1:
            raise ValueError("X must have at least one row (one observation)")
        return readonly_array([n_samples], dtype=np.intp)
    if isinstance(lengths, numbers.Integral) and not isinstance(lengths, bool):
        lengths = [lengths]
    raw = np.asarray(lengths)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(
            f"lengths must be a non-empty 1-D list of sequence lengths; got shape {raw.shape}. "
            "Pass one length per sequence, e.g. lengths=[len(x1), len(x2)]"
        )
    if raw.dtype.kind == "b" or raw.dtype.kind not in "iuf":
        raise TypeError(f"lengths must be integers; got dtype {raw.dtype}")
    if raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.round(raw))):
        raise TypeError(f"lengths must be whole numbers; got {raw.tolist()[:10]}")
    if np.any(raw < 1):
        bad = int(np.flatnonzero(raw < 1)[0])
        raise ValueError(
            f"lengths must be positive (every sequence has at least one row); got "
            f"lengths[{bad}] = {int(raw[bad])}. Remove empty sequences from lengths"
        )
    if np.any(raw > n_samples):  # before the int64 sum, which could wrap around
        bad = int(np.flatnonzero(raw > n_samples)[0])
        raise ValueError(
            f"lengths must sum to the number of rows of X ({n_samples}); got lengths[{bad}] = "
            f"{raw[bad]}, longer than X. Pass one length per sequence, in the order the "
            "sequences are stacked in X"
        )
    values = raw.astype(np.int64)
    total = int(values.sum())
    if total != n_samples:
        raise ValueError(
            f"lengths must sum to the number of rows of X ({n_samples}); got sum(lengths) = "
            f"{total}. Pass one length per sequence, in the order the sequences are "
            "stacked in X"
        )
    return readonly_array(values, dtype=np.intp)


def check_labels(labels: Any, n_samples: int) -> np.ndarray | None:
    """Known states of some rows (-1: unknown) as a read-only intp array; None if none is known.

    Examples
    --------
    >>> check_labels([0, -1, 1], 3)
    array([ 0, -1,  1])
    >>> check_labels([-1, -1], 2) is None
    True
    >>> check_labels([0, -2], 2)
    Traceback (most recent call last):
    ...
    ValueError: labels must be states (0, 1, ...) or -1 for an unknown state; got -2 at row 1
    """
    if labels is None:
        return None
    raw = np.asarray(labels)
    if raw.dtype.kind == "f" and np.all(np.isfinite(raw)) and np.all(raw == np.round(raw)):
        raw = raw.astype(np.int64)
    if raw.dtype.kind not in "iu":
        raise TypeError(
            f"labels must be integers (a state, or -1 for an unknown state); got dtype {raw.dtype}"
        )
    if raw.shape != (n_samples,):
        raise ValueError(
            f"labels must have one entry per row of X, shape ({n_samples},); got {raw.shape}"
        )
    if np.any(raw < -1):
        row = int(np.flatnonzero(raw < -1)[0])
        raise ValueError(
            "labels must be states (0, 1, ...) or -1 for an unknown state; got "
            f"{int(raw[row])} at row {row}"
        )
    if not np.any(raw >= 0):
        return None
    return readonly_array(raw, dtype=np.intp)


@frozen(eq=False)
class Sequences:
    """Sequences stacked row-wise in one array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The observations of all sequences, one after the other, kept as a
        read-only view (not copied); the model that receives it validates
        the values. HMMs keep the data they derive from ``X`` (validated,
        reordered, features) for as long as this object lives, so do not
        modify the array afterwards: wrap new data in new ``Sequences``.
    lengths : array-like of int of shape (n_sequences,), optional
        Positive lengths summing to ``n_samples``; one sequence by default.
    labels : array-like of int of shape (n_samples,), optional
        The known state of some rows, -1 where it is unknown (partially
        labelled sequences). An HMM clamps the known states exactly: its
        forward-backward pass gives probability 0 to every path through
        another state there, so its log-likelihood is ``log p(X, known
        states)``. None (or all -1) when no state is known.

    Examples
    --------
    >>> import numpy as np
    >>> seqs = Sequences(np.arange(10.0).reshape(5, 2), lengths=[2, 3])
    >>> seqs.n_samples, seqs.n_sequences, seqs.starts
    (5, 2, array([0, 2]))
    >>> seqs[[1]].X
    array([[4., 5.],
           [6., 7.],
           [8., 9.]])
    """

    X: Any
    # any array-like (or None) goes in; the post-init check turns it into the read-only array
    lengths: np.ndarray = field(default=None, converter=_unchecked)
    labels: np.ndarray | None = field(default=None, converter=_unchecked)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.X, Sequences):
            raise TypeError("X is already Sequences; pass it as it is, without wrapping")
        X = self.X if hasattr(self.X, "shape") else np.asarray(self.X)
        if np.ndim(X) == 0:
            raise TypeError(
                "Sequences needs X, an array of shape (n_samples, n_features) (or (n_samples,) "
                f"of symbols) holding the sequences one after the other; got {self.X!r}"
            )
        if isinstance(X, np.ndarray):
            # models keep data derived from X while this object lives: X must not change
            X = X.view()
            X.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "lengths", check_lengths(self.lengths, _n_rows(X)))
        object.__setattr__(self, "labels", check_labels(self.labels, _n_rows(X)))

    def _labels_of(self, rows: Any) -> np.ndarray | None:
        return None if self.labels is None else self.labels[rows]

    @property
    def n_samples(self) -> int:
        """Total number of rows."""
        return int(self.lengths.sum())

    @property
    def n_sequences(self) -> int:
        """Number of sequences."""
        return int(self.lengths.shape[0])

    @property
    def starts(self) -> np.ndarray:
        """First row of every sequence."""
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.intp)

    def __len__(self) -> int:
        return self.n_sequences

    def __getitem__(self, which: Any) -> Sequences:
        """The sequences selected by an index, slice, boolean mask or list of indices."""
        index = np.arange(self.n_sequences)[which]
        index = np.atleast_1d(index)
        starts = self.starts[index]
        lengths = self.lengths[index]
        rows = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths, strict=True)])
        return Sequences(np.asarray(self.X)[rows], lengths, self._labels_of(rows))

    def chunks(self, max_samples: int) -> list[Sequences]:
        """Consecutive groups of whole sequences with at most ``max_samples`` rows each.

        A sequence longer than ``max_samples`` forms a chunk of its own.
        Pass the list to :class:`~latentem.Chunks` for chunked EM.

        Examples
        --------
        >>> import numpy as np
        >>> seqs = Sequences(np.zeros((10, 1)), lengths=[3, 3, 4])
        >>> [chunk.lengths.tolist() for chunk in seqs.chunks(6)]
        [[3, 3], [4]]
        """
        if isinstance(max_samples, bool) or not isinstance(max_samples, numbers.Integral):
            raise TypeError(f"max_samples must be an integer; got {max_samples!r}")
        if max_samples < 1:
            raise ValueError(f"max_samples must be at least 1; got {max_samples}")
        groups: list[list[int]] = [[]]
        size = 0
        for index, length in enumerate(self.lengths.tolist()):
            if groups[-1] and size + length > max_samples:
                groups.append([])
                size = 0
            groups[-1].append(index)
            size += length
        X = np.asarray(self.X)
        out = []
        for group in groups:
            start = int(self.starts[group[0]])
            stop = start + int(self.lengths[group].sum())
            rows = slice(start, stop)
            out.append(Sequences(X[rows], self.lengths[group], self._labels_of(rows)))
        return out


def as_sequences(data: Any) -> Sequences:
    """``data`` as :class:`Sequences`: returned as is, or an array taken as one sequence.

    A tuple ``(X, lengths)`` is accepted too.

    Examples
    --------
    >>> import numpy as np
    >>> as_sequences(np.zeros((4, 1))).lengths, as_sequences((np.zeros((4, 1)), [1, 3])).lengths
    (array([4]), array([1, 3]))
    """
    if isinstance(data, Sequences):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return Sequences(data[0], data[1])
    return Sequences(data)


def split_sequences(data: Any, rng: np.random.Generator) -> tuple[Sequences, Sequences]:
    """Split sequences at random into two non-empty groups, never cutting a sequence.

    The splitter for :func:`~latentem.testing.check_latent_model` on HMMs.

    Examples
    --------
    >>> import numpy as np
    >>> seqs = Sequences(np.zeros((6, 1)), lengths=[1, 2, 3])
    >>> a, b = split_sequences(seqs, np.random.default_rng(0))
    >>> a.n_sequences + b.n_sequences, a.n_samples + b.n_samples
    (3, 6)
    """
    sequences = as_sequences(data)
    n = sequences.n_sequences
    if n < 2:
        raise ValueError(f"data must hold at least 2 sequences to be split; got {n}")
    order = rng.permutation(n)
    cut = int(rng.integers(1, n))
    return sequences[np.sort(order[:cut])], sequences[np.sort(order[cut:])]
