"""Nuclear recoils in xenon with the XENON collaboration's binwise approximate likelihood.

The XENON collaboration publishes, for its 1 t yr nuclear-recoil search (E. Aprile et al., PRL 121 (2018)
111302, arXiv:1805.12562) and for a XENONnT 20 t yr projection, an approximate likelihood that any
nuclear-recoil spectrum can be run through (method: E. Aprile et al. (XENON), "Binwise approximate
likelihood", arXiv:2210.07231; data in the package ``xe-likelihood`` 0.1.0, ``pip install 'nugen[nr]'``):

* a **migration matrix** P[t, r] (``XENON1T_binwise_NR_MM.json``): the probability that a nuclear recoil
  in true-energy bin t (0.875–70.125 keV in 277 bins of 0.25 keV) is selected and reconstructed in bin r
  (0–60 keV in 80 bins of 0.75 keV); its row sums are the acceptance (≤ 0.86);
* per reconstructed bin r, the curve -2 Δln L_r(s) of the search for a signal of s expected events in that
  bin, on a grid s = 0, 0.03, ..., 3 (XENON1T, observed data: one curve per bin) or s = 0, 0.09, ..., 9
  (XENONnT: 1000 toy data sets of the background-only projection);
* for XENON1T, the Neyman threshold of the 90 % CL limit as a function of the total signal expectation
  (``threshold_using_lines_90pct.json``: the upper envelope of the thresholds of monoenergetic lines).

**Units (read from the package's code and data, checked against its benchmarks).** The signal is a true
nuclear-recoil spectrum dR/dE in events/(t yr keV); the expected counts in the reconstructed bins are
``T ∫_t dR/dE dE × P[t, r]`` with T the exposure of the search: 1.0 t yr for XENON1T (arXiv:1805.12562),
20 t yr for the XENONnT projection. The package's own 50 GeV WIMP spectrum (1e-45 cm²) run through this
gives 5.47e-47 cm² for XENON1T (published 5.26e-47, its ``xenon1t_1ty.csv``) and a median of 1.48e-48 cm²
for XENONnT with T = 20 (its ``xenonnt_projection_SI_20ty.csv``: 1.36e-48); without the factor 20 the
XENONnT median would be 20 times weaker, so P is per tonne-year (``tests/detectors/test_xenon_nr.py``).

Only the package's **data** are used (read through :mod:`importlib.metadata` from the installed
distribution, without importing its code, which configures logging and imports matplotlib at import
time); the likelihood sum and the limit are :mod:`fits.binwise_limit`.

The signal is nugen's coherent dipole up-scattering ν A → N A on xenon (Helm form factor, physics.md
Sec. 2.6), summed over isotopes, for every solar component; above the ~5 keV threshold only 8B and hep
neutrinos contribute. The SM CEvNS of solar neutrinos is part of the collaboration's background model, so
:attr:`sm_in_background` is True (``sm_nu`` is shown for information).
"""

from __future__ import annotations

import functools
import gzip
import json
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from detectors.base import Detector, Setting, parse_choice
from nugen.errors import DataFileError, InvalidParameterError

__all__ = ["XENON1TNR", "BinwiseData", "XENONnTNR", "load_binwise"]

_INSTALL_HINT = (
    "the nuclear-recoil detectors need the XENON collaboration's binwise likelihood data: "
    "pip install 'nugen[nr]' (package xe-likelihood)"
)
_FILES = {
    "xenon1t": (
        "xe_likelihood/data/xe1t_nr_1ty_result/XENON1T_binwise_NR_MM.json",
        "xe_likelihood/data/xe1t_nr_1ty_result/XENON1T_binwise_NR_LL.json",
        "xe_likelihood/data/xe1t_nr_1ty_result/threshold_using_lines_90pct.json",
    ),
    "xenonnt": (
        "xe_likelihood/data/xent_nr_20ty_projection/XENONnT_binwise_NR_MM.json",
        "xe_likelihood/data/xent_nr_20ty_projection/XENONnT_binwise_NR_LL_toyMC.json.gz",
        None,
    ),
}


class BinwiseData:
    """The migration matrix, per-bin likelihood curves and (optional) Neyman threshold of one search.

    Attributes
    ----------
    true_edges_keV, reco_edges_keV : numpy.ndarray
        Bin edges of true and reconstructed nuclear-recoil energy [keV].
    migration : numpy.ndarray
        P[t, r], shape (n_true, n_reco).
    signal_grid : numpy.ndarray
        Signal expectations per bin at which the curves are tabulated (events).
    curves : numpy.ndarray
        -2 Δln L, shape (n_runs, n_reco, n_signal): run 0 is the observed data (XENON1T) or the first toy.
    threshold : tuple of numpy.ndarray or None
        (total signal expectation, Neyman threshold) of the 90 % CL limit, or None.
    """

    def __init__(self, true_edges, reco_edges, migration, signal_grid, curves, threshold=None):
        self.true_edges_keV = true_edges
        self.reco_edges_keV = reco_edges
        self.migration = migration
        self.signal_grid = signal_grid
        self.curves = curves
        self.threshold = threshold
        for a in (true_edges, reco_edges, migration, signal_grid, curves):
            a.setflags(write=False)


def _edges(axis: dict) -> np.ndarray:
    return np.round(np.linspace(axis["low_edge"], axis["high_edge"], axis["N"]), 6)


def _read_json(dist: metadata.Distribution, rel: str) -> dict:
    path = Path(str(dist.locate_file(rel)))
    try:
        raw = path.read_bytes()
        return json.loads(gzip.decompress(raw) if rel.endswith(".gz") else raw)
    except (OSError, ValueError) as exc:
        raise DataFileError(f"xe-likelihood data file {rel} cannot be read ({exc})") from None


@functools.cache
def load_binwise(search: str) -> BinwiseData:
    """Read the binwise likelihood of ``search`` (``"xenon1t"`` or ``"xenonnt"``) from xe-likelihood.

    Raises
    ------
    InvalidParameterError
        If xe-likelihood is not installed (the message says how to install it).
    DataFileError
        If its data files are missing or malformed.
    """
    try:
        dist = metadata.distribution("xe-likelihood")
    except metadata.PackageNotFoundError:
        raise InvalidParameterError(_INSTALL_HINT) from None
    mm_file, ll_file, thr_file = _FILES[search]
    mm, ll = _read_json(dist, mm_file), _read_json(dist, ll_file)
    true_edges, reco_edges = _edges(mm["Xedges"]), _edges(mm["Yedges"])
    migration = np.asarray(mm["Z"]["Data"]["0"], dtype=float)
    s_edges = _edges(ll["Yedges"])
    signal_grid = np.round(0.5 * (s_edges[1:] + s_edges[:-1]), 6)
    runs = ll["Z"]["Data"]
    curves = np.stack([np.asarray(runs[k], dtype=float) for k in sorted(runs, key=int)])
    shapes_ok = (
        migration.shape == (true_edges.size - 1, reco_edges.size - 1)
        and curves.shape[1:] == (reco_edges.size - 1, signal_grid.size)
        and np.allclose(_edges(ll["Xedges"]), reco_edges)
    )
    if not shapes_ok:
        raise DataFileError(f"xe-likelihood {search} data: migration matrix and likelihood do not match")
    threshold = None
    if thr_file is not None:
        t = _read_json(dist, thr_file)
        threshold = (np.asarray(t["X"]["Data"], dtype=float), np.asarray(t["Y"]["Data"], dtype=float))
    return BinwiseData(true_edges, reco_edges, migration, signal_grid, curves, threshold)


class _BinwiseNR(Detector):
    """A xenon nuclear-recoil search described by XENON's binwise likelihood (module docstring)."""

    target = "xenon"
    source = "solar"
    scatterer = "nucleus"
    energy_unit = "keV"
    sm_in_background = True
    sm_rel_uncertainty = None
    #: Key of :func:`load_binwise`.
    search: str = ""
    #: Exposure of the search [t yr]: the likelihood curves are for it (signal = T x ∫ dR/dE x P).
    search_exposure_t_yr: float = 1.0

    @property
    def data(self) -> BinwiseData:
        """The search's binwise likelihood (:func:`load_binwise`)."""
        return load_binwise(self.search)

    @property
    def exposure_t_yr(self) -> float:
        """Exposure of the search [t yr] (fixed: the tabulated likelihood is for this exposure)."""
        return self.search_exposure_t_yr

    def analysis_edges_MeV(self) -> np.ndarray:
        """Reconstructed nuclear-recoil energy bins of the likelihood [MeV] (0–60 keV, 0.75-keV bins)."""
        return self.data.reco_edges_keV * 1e-3

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Not defined: the response is the collaboration's migration matrix, not a Gaussian."""
        msg = f"{self.name}: the response is XENON's migration matrix; there is no Gaussian resolution"
        raise InvalidParameterError(msg)

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """Not defined per reconstructed energy (the acceptance is in the migration matrix rows)."""
        msg = f"{self.name}: the acceptance is inside XENON's migration matrix; there is no efficiency curve"
        raise InvalidParameterError(msg)

    def acceptance(self, T_MeV: ArrayLike) -> np.ndarray:
        """Probability that a nuclear recoil of true energy ``T`` [MeV] is selected (migration row sums)."""
        d = self.data
        centres = 0.5 * (d.true_edges_keV[1:] + d.true_edges_keV[:-1])
        T_keV = np.asarray(T_MeV, dtype=float) * 1e3
        return np.interp(T_keV, centres, d.migration.sum(axis=1), left=0.0, right=0.0)

    def _only_analysis_bins(self, edges_MeV: ArrayLike | None) -> None:
        if edges_MeV is not None:
            msg = f"{self.name}: counts exist only on the likelihood's reconstructed bins (no --bins)"
            raise InvalidParameterError(msg)

    def signal_templates(self, M_N: float, edges_MeV: ArrayLike | None = None) -> np.ndarray:
        """Reconstructed-bin dipole counts per flavour for mu_alpha = 1 mu_B, shape (3, n_reco).

        ``(∫_t dR/dE dE) @ P`` with nugen's coherent dipole rate per t yr (module docstring: units).
        """
        self._only_analysis_bins(edges_MeV)
        key = (b"binwise", "dipole-templates", float(M_N))
        if key not in self._kernels:
            true = self.rates.dipole_binned_templates(self.data.true_edges_keV * 1e-3, M_N, "nucleus")
            out = true.sum(axis=0) @ self.data.migration * self.exposure_t_yr
            out.setflags(write=False)
            self._kernels[key] = out
        return self._kernels[key].copy()

    def sm_counts_by_component(self, edges_MeV: ArrayLike | None = None) -> dict[str, np.ndarray]:
        """SM CEvNS counts per solar component in the reconstructed bins (inside XENON's background)."""
        self._only_analysis_bins(edges_MeV)
        key = (b"binwise", "sm-by-component")
        if key not in self._kernels:
            true = self.rates.sm_counts(self.data.true_edges_keV * 1e-3, "nucleus")
            per = true @ self.data.migration * self.exposure_t_yr
            per.setflags(write=False)
            self._kernels[key] = dict(zip(self.rates.component_names, per, strict=True))
        return dict(self._kernels[key])

    def smear(self, true_energy_MeV: ArrayLike, rng=None):
        """Not available: XENON's migration matrix gives probabilities per bin, not per event."""
        msg = f"{self.name}: no event-by-event response (XENON's migration matrix is binned)"
        raise InvalidParameterError(msg)


class XENON1TNR(_BinwiseNR):
    """XENON1T 1 t yr nuclear recoils with the observed-data binwise likelihood (arXiv:1805.12562).

    Settings: ``threshold`` = ``"neyman"`` (default: the collaboration's 90 % CL Neyman threshold, as in its
    published limits) or ``"asymptotic"`` (chi2(1).isf(1 - CL) = 2.706 at 90 %, xe-likelihood's default).
    """

    name = "xenon1t_nr"
    title = "XENON1T 1 t yr nuclear recoils (XENON's binwise likelihood of the observed data)"
    citation = (
        "E. Aprile et al. (XENON), PRL 121 (2018) 111302, arXiv:1805.12562; binwise approximate likelihood "
        "arXiv:2210.07231, data of xe-likelihood 0.1.0"
    )
    search = "xenon1t"
    data_text = "the observed data, inside XENON's per-bin likelihood curves (not as counts per bin)"
    search_exposure_t_yr = 1.0  # arXiv:1805.12562: "1.0 t x yr" (278.8 live days x 1.3 t)
    SETTINGS = (
        Setting(
            "threshold",
            "neyman",
            "",
            "90 % CL threshold: the collaboration's Neyman threshold (neyman) or chi2(1) (asymptotic)",
            parse_choice("threshold", ("neyman", "asymptotic")),
        ),
    )

    def observed(self) -> np.ndarray | None:
        """None: the observed data enter only through the likelihood curves (not as counts per bin)."""
        return None


class XENONnTNR(_BinwiseNR):
    """XENONnT 20 t yr nuclear-recoil projection: 1000 background-only toy likelihoods (expected limits)."""

    name = "xenonnt_nr"
    title = "XENONnT 20 t yr nuclear-recoil projection (XENON's binwise likelihood, 1000 toys)"
    citation = (
        "XENON collaboration, XENONnT 20 t yr nuclear-recoil projection in xe-likelihood 0.1.0; "
        "binwise approximate likelihood arXiv:2210.07231"
    )
    search = "xenonnt"
    data_text = "none (projection: 1000 background-only toy likelihoods; limits are their median)"
    search_exposure_t_yr = 20.0  # the package's projection: 20 t yr
    SETTINGS = (
        Setting(
            "toys",
            1000,
            "",
            "how many of the 1000 toy likelihoods to use for the median and bands",
            lambda v: _parse_toys(v),
        ),
    )


def _parse_toys(value: object) -> int:
    try:
        n = int(str(value))
    except ValueError:
        raise InvalidParameterError(f"setting toys must be a whole number 1..1000, got {value!r}") from None
    if not 1 <= n <= 1000:
        raise InvalidParameterError(f"setting toys must be a whole number 1..1000, got {value!r}")
    return n
