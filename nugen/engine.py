"""The generation engine: unweighted events by accept/reject from a mixture of weighted proposals.

Every unweighted sample of nugen is drawn by the one loop of :func:`accept_reject` (von Neumann
rejection applied to a mixture of channels; e.g. F. James, *Monte Carlo theory and practice*,
Rep. Prog. Phys. 43 (1980) 1145, Sec. 4.3; the "unweighting" of event generators, PDG Review
"Monte Carlo event generators", Sec. 3):

1. the number of candidates of each channel is multinomial with the channel probabilities ``p_k``;
2. each channel draws its candidates from its own proposal and returns, per candidate, the ratio
   ``r = (target density) / (p_k x bound)`` (the caller's weight over the mixture's bound);
3. a candidate is kept when ``u < r`` with ``u`` uniform on [0, 1); the kept candidates are permuted
   (so that truncating to the number still needed takes no channel preferentially) and the loop
   repeats until ``n`` events are kept.

Provided ``r <= 1`` everywhere, the kept events follow the target density exactly, whatever the
``p_k`` (they only set the efficiency). Candidates with ``r > 1`` (a bound that is too low) are
counted in :class:`Diagnostics` (``violations``, ``excess``) so the bias they cause is stated, never
hidden.

Two kinds of callers use it:

* :class:`nugen.generator.Generator` (solar and beam scattering events of ``nugen generate``): the
  proposal is an analytic step envelope of d^2R/(dE dT) and the bound is exact;
* weighted importance samplers with detector stages, e.g. CHARM-II's N production, flight, decay in
  the fiducial volume and selection (:meth:`detectors.charm2.CHARM2.generate` with
  ``weighted=False``), through :func:`unweight_weighted`: the ratio is the event weight over a bound
  estimated from a pilot sample. The weighted mode of the same samplers, :func:`weighted_sample`, is
  the proposal itself: chunks of weighted events per channel with spawned streams.

:func:`accept_reject` draws every random number from the ``numpy.random.Generator`` passed in, in a
fixed order. The samplers built on it split their work into pieces (chunks) that each draw from their own
stream of ``numpy.random.SeedSequence(seed).spawn(...)``, so a seed gives the same events wherever the
pieces run: in this process, in local worker processes or on a dask cluster
(:func:`nugen.parallel.ordered_map`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nugen.errors import InvalidParameterError

__all__ = [
    "MAX_ROUNDS",
    "Diagnostics",
    "UnweightedSample",
    "WeightedChannel",
    "accept_reject",
    "unweight_weighted",
    "weighted_sample",
]

#: Rounds of proposals before :func:`accept_reject` gives up (an efficiency below ~1e-4).
MAX_ROUNDS = 200


@dataclass
class Diagnostics:
    """Bookkeeping of accept/reject (one chunk, or a sum of chunks with ``+=``).

    Attributes
    ----------
    proposed, accepted : int
        Candidates drawn and kept (before the surplus of the last round is dropped), so that
        ``bound x accepted / proposed`` is an unbiased Monte Carlo estimate of the rate.
    violations : int
        Candidates whose ratio exceeded 1 (the bound was too low; each one biases the sample).
    max_ratio : float
        Largest ratio seen (<= 1 when there are no violations).
    excess : float
        Sum over candidates of ``max(r - 1, 0)``: divided by the sum of all ratios it is the fraction of
        the rate that the kept sample misses because of violations.
    ratio_sum : float
        Sum of all ratios (``bound x ratio_sum / proposed`` estimates the rate, violations included).
    """

    proposed: int = 0
    accepted: int = 0
    violations: int = 0
    max_ratio: float = 0.0
    excess: float = 0.0
    ratio_sum: float = 0.0

    def __iadd__(self, other: Diagnostics) -> Diagnostics:
        self.proposed += other.proposed
        self.accepted += other.accepted
        self.violations += other.violations
        self.max_ratio = max(self.max_ratio, other.max_ratio)
        self.excess += other.excess
        self.ratio_sum += other.ratio_sum
        return self

    @property
    def missed_fraction(self) -> float:
        """Fraction of the rate lost to candidates above the bound (0 for an exact bound)."""
        return self.excess / self.ratio_sum if self.ratio_sum > 0 else 0.0


def accept_reject(
    n: int,
    probabilities: np.ndarray,
    draw: Callable[[int, int, np.random.Generator], tuple[np.ndarray, object]],
    keep: Callable[[int, object, np.ndarray, np.ndarray], dict[str, np.ndarray]],
    rng: np.random.Generator,
    acceptance: float,
) -> tuple[dict[str, np.ndarray], Diagnostics]:
    """Draw exactly ``n`` unweighted events from a mixture of channels by accept/reject.

    Parameters
    ----------
    n : int
        Events to keep.
    probabilities : numpy.ndarray
        Probability of each channel in the mixture (sums to 1).
    draw : callable
        ``draw(k, m, rng) -> (ratio, payload)``: ``m`` candidates of channel ``k``; ``ratio`` (shape
        (m,)) is target density / (probability x bound) per candidate, ``payload`` whatever ``keep``
        needs.
    keep : callable
        ``keep(k, payload, index, spare) -> columns``: the columns (dict of arrays, last axis the event)
        of the kept candidates ``index`` of channel ``k``; ``spare = u / ratio`` of those candidates is
        uniform on [0, 1) and independent of the kept event's position in the target density, so a
        caller may reuse it for a further discrete choice (the Generator picks the flavour with it).
    rng : numpy.random.Generator
        The random stream.
    acceptance : float
        Expected fraction of candidates kept (sets the batch size, not the result).

    Returns
    -------
    columns : dict of str to numpy.ndarray
        The ``n`` kept events (each column's last axis has length ``n``), in random order.
    diagnostics : Diagnostics
        Proposed, kept, violations of the bound.

    Raises
    ------
    InvalidParameterError
        If ``n < 1`` or ``acceptance`` is not in (0, 1].
    RuntimeError
        If ``n`` events are not reached in :data:`MAX_ROUNDS` rounds.
    """
    n = int(n)
    if n < 1 or not 0.0 < float(acceptance) <= 1.0:
        msg = f"accept_reject needs n >= 1 and 0 < acceptance <= 1, got n = {n}, acceptance = {acceptance!r}"
        raise InvalidParameterError(msg)
    diag = Diagnostics()
    parts: list[dict[str, np.ndarray]] = []
    need = n
    for _ in range(MAX_ROUNDS):
        if need <= 0:
            break
        n_prop = int(need / acceptance * 1.05) + 32
        counts = rng.multinomial(n_prop, probabilities)
        got: list[dict[str, np.ndarray]] = []
        for k in np.flatnonzero(counts):
            ratio, payload = draw(int(k), int(counts[k]), rng)
            u = rng.random(ratio.size)
            diag.violations += int(np.count_nonzero(ratio > 1.0))
            diag.max_ratio = max(diag.max_ratio, float(ratio.max()))
            diag.excess += float(np.sum(np.maximum(ratio - 1.0, 0.0)))
            diag.ratio_sum += float(ratio.sum())
            acc = np.flatnonzero(u < ratio)
            diag.accepted += acc.size
            got.append(keep(int(k), payload, acc, u[acc] / ratio[acc]))
        diag.proposed += n_prop
        if not got:
            continue
        cols = {name: np.concatenate([g[name] for g in got], axis=-1) for name in got[0]}
        size = next(iter(cols.values())).shape[-1]
        perm = rng.permutation(size)[:need]
        parts.append({name: c[..., perm] for name, c in cols.items()})
        need -= perm.size
    if need > 0:
        msg = f"accept/reject did not converge: {need} of {n} events missing after {MAX_ROUNDS} rounds"
        raise RuntimeError(msg)
    if len(parts) == 1:  # the usual case: one round filled the chunk (no copy)
        return parts[0], diag
    return {name: np.concatenate([p[name] for p in parts], axis=-1) for name in parts[0]}, diag


@dataclass(frozen=True)
class WeightedChannel:
    """One channel of weighted events for :func:`unweight_weighted`.

    Attributes
    ----------
    name : str
        Label (process and component), for messages.
    draw : callable
        ``draw(m, rng) -> columns``: ``m`` weighted events whose ``columns["weight"]`` sum to an
        unbiased estimate of the channel's rate (every other column is carried along).
    weight_columns : tuple of str
        Columns that are weights (scaled together when a sample is split into chunks); ``"weight"``
        first.
    """

    name: str
    draw: Callable[[int, np.random.Generator], dict[str, np.ndarray]]
    weight_columns: tuple[str, ...] = ("weight",)


@dataclass(frozen=True)
class UnweightedSample:
    """Result of :func:`unweight_weighted`.

    Attributes
    ----------
    columns : dict of str to numpy.ndarray
        The unweighted events (the channels' columns; ``weight`` replaced by ``rate / n``).
    channel : numpy.ndarray of int
        Index of each event's channel.
    rate, rate_error : float
        Monte Carlo estimate of the summed rate of all channels (pilot and main proposals) and its
        standard error, in the unit of the channels' weights.
    rate_by_channel : tuple of float
        Pilot estimate of each channel's rate.
    diagnostics : Diagnostics
        Accept/reject bookkeeping of the main run (violations of the pilot bound).
    bound : float
        The mixture's bound (largest pilot value of weight x m / p_k, times the safety factor).
    """

    columns: dict[str, np.ndarray]
    channel: np.ndarray
    rate: float
    rate_error: float
    rate_by_channel: tuple[float, ...]
    diagnostics: Diagnostics
    bound: float


def unweight_weighted(
    channels: Sequence[WeightedChannel],
    n: int,
    seed: int | np.random.SeedSequence | None,
    pilot: int = 20_000,
    safety: float = 1.2,
    chunk: int = 16_384,
    workers: int = 1,
    executor=None,
    progress: Callable[[int], None] | None = None,
) -> UnweightedSample:
    """Unweighted events from weighted samplers: a pilot bound, then :func:`accept_reject` in pieces.

    A pilot of ``pilot`` events per channel gives each channel's largest per-event rate estimate
    ``U_k = max(m x weight)``; the mixture draws channel ``k`` with probability ``p_k = U_k / sum U``
    (which maximises the efficiency ``rate / bound``) and keeps a candidate with probability
    ``m x weight / (p_k x bound)``, ``bound = safety x sum U``. Kept events then follow the weighted
    density exactly wherever ``m x weight <= safety x U_k``; the rare candidates above are reported in
    :attr:`UnweightedSample.diagnostics` (``missed_fraction`` is the share of the rate they cause the
    sample to miss). The returned rate pools the pilot and every main candidate (each an unbiased
    estimate), so ``rate / n`` is the weight of each kept event.

    Streams: ``SeedSequence(seed).spawn(1 + n_pieces)``; the pilot draws from the first, piece ``j`` (of
    ``chunk`` kept events, the last one shorter) from stream ``1 + j``. A piece depends only on its
    stream and the pilot's bound, so the events are the same for any ``workers`` or ``executor``
    (:func:`nugen.parallel.ordered_map`; the channels must then be picklable).

    Parameters
    ----------
    channels : sequence of WeightedChannel
        The weighted samplers.
    n : int
        Events to keep.
    seed : int, SeedSequence or None
        Entropy of the run.
    pilot : int
        Pilot events per channel.
    safety : float
        Factor (>= 1) on the pilot bound.
    chunk : int
        Kept events per piece (bounds the memory of the candidates: ~chunk / acceptance candidates with
        every column of the detector stages).
    workers : int
        Local processes for the pieces.
    executor : concurrent.futures.Executor, optional
        Runs the pieces instead (e.g. dask's, :func:`nugen.parallel.dask_executor`).
    progress : callable, optional
        ``progress(k)`` after each piece of ``k`` kept events (a progress bar's ``update``).

    Raises
    ------
    InvalidParameterError
        If there are no channels, ``n < 1``, or every pilot weight is zero (no events possible).
    """
    from nugen.parallel import ordered_map

    if not channels or int(n) < 1:
        msg = (
            f"unweight_weighted needs at least one channel and n >= 1, got {len(channels)} channels, n = {n}"
        )
        raise InvalidParameterError(msg)
    n, pilot, chunk = int(n), int(pilot), int(chunk)
    sizes = [min(chunk, n - start) for start in range(0, n, chunk)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    pilot_seq, *piece_seqs = root.spawn(1 + len(sizes))
    rng = np.random.default_rng(pilot_seq)
    stats = np.zeros((3, len(channels)))  # per channel: sum and sum of squares of estimates, count
    U = np.zeros(len(channels))
    for k, ch in enumerate(channels):
        w = np.asarray(ch.draw(pilot, rng)["weight"], dtype=float) * pilot  # per-event rate estimates
        stats[:, k] += (w.sum(), np.sum(w**2), pilot)
        U[k] = w.max(initial=0.0)
    if not np.any(U > 0):
        names = ", ".join(ch.name for ch in channels)
        msg = f"every weight of a {pilot}-event pilot is zero ({names}): no events can be kept"
        raise InvalidParameterError(msg)
    rate_pilot = tuple(float(x) for x in stats[0] / pilot)
    bound = float(safety) * float(U.sum())
    acceptance = min(1.0, max(sum(rate_pilot) / bound, 1e-4))
    job = _UnweightPiece(tuple(channels), U / U.sum(), bound, acceptance)
    pieces, diag = [], Diagnostics()
    tasks = list(zip(sizes, piece_seqs, strict=True))
    for got, d, piece_stats in ordered_map(job, tasks, workers, executor, what="piece"):
        pieces.append(got)
        diag += d
        stats += piece_stats
        if progress is not None:
            progress(got["_channel"].size)
    cols = {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}
    means = stats[0] / stats[2]
    var = np.maximum(stats[1] / stats[2] - means**2, 0.0) / stats[2]
    rate = float(means.sum())
    channel = cols.pop("_channel")
    cols["weight"] = np.full(channel.size, rate / channel.size)
    return UnweightedSample(
        columns=cols,
        channel=channel,
        rate=rate,
        rate_error=float(np.sqrt(var.sum())),
        rate_by_channel=rate_pilot,
        diagnostics=diag,
        bound=job.bound,
    )


@dataclass(frozen=True)
class _UnweightPiece:
    """One piece of :func:`unweight_weighted` from its task ``(n, seed_sequence)`` (picklable).

    Returns the kept columns (with ``_channel``), the piece's :class:`Diagnostics` and its per-channel
    sums of rate estimates (sum, sum of squares, count) for the pooled rate.
    """

    channels: tuple[WeightedChannel, ...]
    probs: np.ndarray
    bound: float
    acceptance: float  # the pilot's estimate of rate / bound (sets batch sizes only)

    def __call__(self, task):
        n, seq = task
        stats = np.zeros((3, len(self.channels)))

        def draw(k: int, m: int, rng_: np.random.Generator):
            cols = self.channels[k].draw(m, rng_)
            est = np.asarray(cols["weight"], dtype=float) * m  # unbiased per-event estimates of rate_k
            stats[:, k] += (est.sum(), np.sum(est**2), m)
            return est / (self.probs[k] * self.bound), cols

        got, diag = accept_reject(
            n, self.probs, draw, _keep_with_channel, np.random.default_rng(seq), self.acceptance
        )
        return got, diag, stats


def _keep_with_channel(k: int, cols: dict, index: np.ndarray, _spare: np.ndarray) -> dict[str, np.ndarray]:
    out = {name: np.asarray(v)[index] for name, v in cols.items()}
    out["_channel"] = np.full(index.size, k, dtype=np.int16)
    return out


def weighted_sample(
    channels: Sequence[WeightedChannel],
    n_per_channel: int,
    seed: int | np.random.SeedSequence | None,
    chunk_size: int,
    workers: int = 1,
    executor=None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The weighted mode: ``n_per_channel`` weighted events of every channel, in chunks.

    Chunk ``j`` of channel ``i`` draws from stream ``i x n_chunks + j`` of
    ``numpy.random.SeedSequence(seed).spawn(n_channels x n_chunks)``, so the same seed gives the same
    events, for any ``workers`` or ``executor`` (:func:`nugen.parallel.ordered_map`; the channels must
    then be picklable); each chunk's weight columns (:attr:`WeightedChannel.weight_columns`) are scaled
    by ``size / n_per_channel`` so that a channel's summed weight estimates its rate.
    Memory holds the whole sample (one preallocated array per column).

    Returns
    -------
    columns : dict of str to numpy.ndarray
        The channels' columns, channel after channel.
    channel : numpy.ndarray of int
        Index of each event's channel.

    Raises
    ------
    InvalidParameterError
        If there are no channels, or ``n_per_channel`` or ``chunk_size`` is below 1.
    """
    from nugen.parallel import ordered_map

    n_per_channel, chunk_size = int(n_per_channel), int(chunk_size)
    if not channels or n_per_channel < 1 or chunk_size < 1:
        msg = (
            f"weighted_sample needs channels, n_per_channel >= 1 and chunk_size >= 1, got {len(channels)} "
            f"channels, n_per_channel = {n_per_channel}, chunk_size = {chunk_size}"
        )
        raise InvalidParameterError(msg)
    full, rest = divmod(n_per_channel, chunk_size)
    sizes = [chunk_size] * full + ([rest] if rest else [])
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    streams = seq.spawn(len(channels) * len(sizes))
    tasks = [
        (i, size, streams[i * len(sizes) + j]) for i in range(len(channels)) for j, size in enumerate(sizes)
    ]
    total = len(channels) * n_per_channel
    out: dict[str, np.ndarray] = {}
    pos = 0
    job = _WeightedChunk(tuple(channels), n_per_channel)
    for cols in ordered_map(job, tasks, workers, executor, what="chunk"):
        size = next(iter(cols.values())).shape[-1]
        if not out:
            out = {k: np.empty(total, dtype=np.asarray(v).dtype) for k, v in cols.items()}
        for k, v in cols.items():
            out[k][pos : pos + size] = v
        pos += size
    channel = np.repeat(np.arange(len(channels), dtype=np.int16), n_per_channel)
    return out, channel


@dataclass(frozen=True)
class _WeightedChunk:
    """One chunk of :func:`weighted_sample` from its task ``(channel, size, seed_sequence)`` (picklable)."""

    channels: tuple[WeightedChannel, ...]
    n_per_channel: int

    def __call__(self, task):
        i, size, seq = task
        ch = self.channels[i]
        cols = ch.draw(size, np.random.default_rng(seq))
        share = size / self.n_per_channel
        return {**cols, **{k: np.asarray(cols[k]) * share for k in ch.weight_columns}}
