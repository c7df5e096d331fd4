"""Export a nugen likelihood as a HistFactory model in pyhf's JSON format.

:func:`to_pyhf_spec` turns a :class:`fits.likelihood.BinnedLikelihood` into the JSON-able workspace
specification of pyhf (Heinrich, Feickert, Stark, Cranmer, "pyhf: pure-Python implementation of
HistFactory statistical models", JOSS 6 (2021) 2823), i.e. the HistFactory model of Cranmer, Lewis,
Moneta, Shibata, Verkerke, "HistFactory: A tool for creating statistical models for use with RooFit
and RooStats", CERN-OPEN-2012-016. Load it with ``pyhf.Workspace(spec)``; ``workspace.model()`` and
``workspace.data(model)`` then describe exactly the likelihood that nugen minimises, up to constants
(docs/statistics.md, "Export to pyhf / HistFactory"). This module does not import pyhf.

Mapping, for ``lambda_i(s, theta) = s t_i + sum_k theta_k b_ki``:

* the signal is a sample with the unit-normalised template ``t_i`` and a ``normfactor`` ``"s"``, the
  parameter of interest: ``s`` is the same signal strength (signal events in the analysis window)
  as in nugen, bounds ``[0, s_max]``;
* a free component (``rel_uncertainty=None``) is a sample with a ``normfactor``
  ``"theta_<name>"``, bounds ``[0, theta_max]``;
* a component with a Gaussian constraint of relative width sigma_k is a sample with a
  ``histosys`` ``"alpha_<name>"`` whose variations are ``(1 +- sigma_k) b_k``. A symmetric
  ``histosys`` is exactly linear in every pyhf interpolation code for it (``code0``, and the default
  ``code4p``, whose polynomial term vanishes for symmetric variations), so
  ``theta_k = 1 + sigma_k alpha_k`` and pyhf's unit Gaussian constraint
  ``(a_k - alpha_k)^2`` with auxiliary datum ``a_k = (theta0_k - 1) / sigma_k`` equals nugen's
  ``((theta_k - theta0_k) / sigma_k)^2`` (``a_k = 0`` for observed data, non-zero for toys).
  Bounds ``alpha_k >= -1 / sigma_k`` are nugen's ``theta_k >= 0``. (A ``normsys`` is not exact:
  pyhf interpolates it exponentially, codes ``code1`` and ``code4``, so ``theta = (1 +- sigma)^alpha``.)

pyhf needs finite upper bounds where nugen has none (``s`` and every ``theta_k`` are unbounded
above); the defaults lie far beyond any fitted value (see :func:`to_pyhf_spec`).
"""

from __future__ import annotations

import math

import numpy as np

from nugen.errors import InvalidParameterError

__all__ = ["POI", "to_pyhf_spec"]

#: Name of the parameter of interest (nugen's signal strength s, signal events in the window).
POI = "s"


def to_pyhf_spec(
    likelihood,
    *,
    channel: str = "nugen",
    s_max: float | None = None,
    theta_max: float = 100.0,
) -> dict:
    """The pyhf (HistFactory JSON) workspace specification of a nugen likelihood.

    Parameters
    ----------
    likelihood : fits.likelihood.BinnedLikelihood
        Data, signal template, background components with their constraints, and constraint
        centres (non-nominal for toy experiments), e.g. from
        :meth:`fits.likelihood.BinnedLikelihood.from_detector`.
    channel : str
        Name of the single channel, of its observation and of the measurement (e.g. the detector).
    s_max : float, optional
        Upper bound of the parameter of interest ``"s"`` [events]. Default ``N_data + N_background + 10``
        (``N_background``: the nominal non-signal total), beyond every limit unless the signal is
        degenerate with a free background. Much larger bounds make pyhf's CLs scan
        (``pyhf.infer.intervals.upper_limits.upper_limit`` with ``scan=None``, which starts at the POI
        bounds) evaluate CLs where both tail probabilities underflow (0/0) and fail, e.g. from
        ``2 (N_data + N_background)`` for Borexino.
    theta_max : float
        Upper bound of every background normalisation relative to nominal (default 100).

    Returns
    -------
    dict
        JSON-serialisable workspace ``{"channels", "observations", "measurements", "version"}``:
        samples ``"signal"`` (modifier ``normfactor`` ``"s"``, the POI) and one per component
        (``normfactor`` ``"theta_<name>"`` if free, ``histosys`` ``"alpha_<name>"`` with
        ``theta = 1 + sigma alpha`` if constrained). ``pyhf.Workspace(spec).model()`` reproduces
        ``-2 ln L`` of the likelihood up to an additive constant with pyhf's default modifier settings.

    Raises
    ------
    InvalidParameterError
        If the signal is zero in every bin (the POI would be undefined) or a bound is not positive.

    References
    ----------
    L. Heinrich, M. Feickert, G. Stark, K. Cranmer, "pyhf: pure-Python implementation of HistFactory
    statistical models", J. Open Source Softw. 6 (2021) 2823, doi:10.21105/joss.02823.
    K. Cranmer, G. Lewis, L. Moneta, A. Shibata, W. Verkerke, "HistFactory: A tool for creating
    statistical models for use with RooFit and RooStats", CERN-OPEN-2012-016.

    Examples
    --------
    >>> from detectors import get_detector  # doctest: +SKIP
    >>> from fits.likelihood import BinnedLikelihood  # doctest: +SKIP
    >>> spec = to_pyhf_spec(BinnedLikelihood.from_detector(get_detector("xenon1t"), 0.0))  # doctest: +SKIP
    >>> import pyhf  # doctest: +SKIP
    >>> ws = pyhf.Workspace(spec); model = ws.model(); data = ws.data(model)  # doctest: +SKIP
    """
    if not likelihood.has_signal:
        msg = "the signal is zero in every bin: the parameter of interest s is undefined"
        raise InvalidParameterError(msg)
    n_background = float(sum(c.counts.sum() for c in likelihood.components))
    if s_max is None:
        s_max = float(likelihood.data.sum()) + n_background + 10.0
    s_max = float(s_max)
    theta_max = float(theta_max)
    if not (math.isfinite(s_max) and s_max > 0 and math.isfinite(theta_max) and theta_max > 1):
        msg = f"need finite s_max > 0 and theta_max > 1, got s_max={s_max!r}, theta_max={theta_max!r}"
        raise InvalidParameterError(msg)

    def floats(a) -> list[float]:
        return [float(v) for v in np.asarray(a, dtype=float)]

    samples = [
        {
            "name": "signal",
            "data": floats(likelihood.signal / likelihood.signal_norm),
            "modifiers": [{"name": POI, "type": "normfactor", "data": None}],
        }
    ]
    parameters: list[dict] = [{"name": POI, "bounds": [[0.0, s_max]], "inits": [min(1.0, s_max)]}]
    centres = iter(likelihood.centres)
    for comp in likelihood.components:
        b = comp.counts
        if comp.rel_uncertainty is None:
            name = f"theta_{comp.name}"
            modifier = {"name": name, "type": "normfactor", "data": None}
            parameters.append({"name": name, "bounds": [[0.0, theta_max]], "inits": [1.0]})
        else:
            sigma = comp.rel_uncertainty
            name = f"alpha_{comp.name}"
            variations = {"hi_data": floats(b * (1.0 + sigma)), "lo_data": floats(b * (1.0 - sigma))}
            modifier = {"name": name, "type": "histosys", "data": variations}
            aux = (float(next(centres)) - 1.0) / sigma
            bounds = [-1.0 / sigma, (theta_max - 1.0) / sigma]
            parameters.append(
                {
                    "name": name,
                    "bounds": [bounds],
                    "inits": [min(max(aux, bounds[0]), bounds[1])],
                    "auxdata": [aux],
                }
            )
        samples.append({"name": comp.name, "data": floats(b), "modifiers": [modifier]})
    return {
        "channels": [{"name": channel, "samples": samples}],
        "observations": [{"name": channel, "data": floats(likelihood.data)}],
        "measurements": [{"name": channel, "config": {"poi": POI, "parameters": parameters}}],
        "version": "1.0.0",
    }
