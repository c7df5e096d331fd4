"""XENON1T Science Run 1: the low-energy electronic-recoil search with the collaboration's released data.

Follows E. Aprile et al. (XENON Collaboration), "Excess electronic recoil events in XENON1T",
Phys. Rev. D 102 (2020) 072004, arXiv:2006.09721 (physics.md Sec. 6.1), with the binned data, the
background model B0 and the efficiency the collaboration released on Zenodo (record 4088778;
``detectors/data/xenon1t_sr1_*.csv``, see ``detectors/data/README.md``):

* exposure **0.65 t yr** (abstract; the data correspond to 1.042 t x 226.9 d = 0.6473 t yr, a 0.4 %
  difference that is far below the efficiency uncertainty; setting ``exposure_t_yr``);
* analysis window 1–30 keV in **1-keV bins** of reconstructed energy (the released binning);
* resolution ``sigma(E) = 0.310 sqrt(E/keV) keV + 0.0037 E`` (the paper's Eq. 1);
* total efficiency (detection x selection) as released, applied at the **observed** energy (the
  release defines it versus reconstructed energy), linearly interpolated;
* signal: dipole (and SM) electron recoils on bound xenon electrons in the stepping approximation
  (:mod:`nugen.rates`), smeared and multiplied by the efficiency (:class:`detectors.base.Detector`);
* backgrounds: **B0** exactly as released (1244 events in 1–30 keV), normalisation constrained to
  2/76 = 2.6 % (the abstract's 76 +- 2 events/(t yr keV)); **tritium** (template for 6.2e-25 mol/mol)
  only with ``tritium="free"``, unconstrained normalisation >= 0. ``tritium="off"`` (default) is the
  collaboration's B0-only model, the one behind its (1.4, 2.9)e-11 mu_B interval; the seed's Fig. 3
  XENON1T line has tritium free.

**Solar neutrinos are part of B0.** The collaboration's B0 contains the SM solar-neutrino electronic
recoils, so ``expected_counts(model)["sm_nu"]`` is shown for information only and
:attr:`XENON1T.sm_in_background` is True: a fit must not add ``sm_nu`` to B0.

Changing ``exposure_t_yr`` turns the detector into a projection: B0 and tritium scale with the
exposure and :meth:`XENON1T.observed` returns ``None``.

Nuclear recoils (coherent up-scattering of 8B and hep neutrinos, shown by Brdar et al.) are the separate
detector ``xenon1t_nr`` (:mod:`detectors.xenon_nr`), built on XENON's binwise likelihood of its 1 t yr
nuclear-recoil search.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from detectors import data
from detectors.base import Background, Detector, Setting, parse_choice, parse_positive
from nugen.errors import DataFileError

__all__ = ["XENON1T", "load_efficiency", "load_release"]

#: Default exposure [t yr] (arXiv:2006.09721 abstract).
DEFAULT_EXPOSURE_T_YR = 0.65


def _param(key: str) -> float:
    return data.parameter("xenon1t_sr1_params.csv", key)


@functools.cache
def load_efficiency() -> tuple[np.ndarray, np.ndarray]:
    """The released total efficiency: reconstructed energy [keV] and efficiency (read-only arrays)."""
    t = data.read("xenon1t_sr1_efficiency.csv", required=("E_keV", "efficiency"))
    E, eff = np.asarray(t["E_keV"], dtype=float), np.asarray(t["efficiency"], dtype=float)
    if np.any(np.diff(E) <= 0) or np.any((eff < 0) | (eff > 1)):
        msg = f"data table {t.name!r}: E_keV must increase and efficiency lie in [0, 1]"
        raise DataFileError(msg)
    E.setflags(write=False)
    eff.setflags(write=False)
    return E, eff


@functools.cache
def load_release() -> dict[str, np.ndarray]:
    """Released SR1 bins: edges [keV], observed counts, B0 and tritium expectations per bin."""
    d = data.read("xenon1t_sr1_data.csv", required=("E_lo_keV", "E_hi_keV", "N_obs"))
    b = data.read("xenon1t_sr1_background.csv", required=("E_lo_keV", "E_hi_keV", "B0_counts", "H3_counts"))
    lo, hi = np.asarray(d["E_lo_keV"], dtype=float), np.asarray(d["E_hi_keV"], dtype=float)
    if not (np.array_equal(lo, b["E_lo_keV"]) and np.array_equal(hi, b["E_hi_keV"])):
        msg = f"data tables {d.name!r} and {b.name!r} have different bins"
        raise DataFileError(msg)
    if np.any(lo[1:] != hi[:-1]) or np.any(hi <= lo):
        msg = f"data table {d.name!r}: bins must be contiguous and increasing"
        raise DataFileError(msg)
    out = {
        "edges_keV": np.append(lo, hi[-1]),
        "N_obs": np.asarray(d["N_obs"], dtype=float),
        "B0": np.asarray(b["B0_counts"], dtype=float),
        "H3": np.asarray(b["H3_counts"], dtype=float),
    }
    for v in out.values():
        v.setflags(write=False)
    return out


class XENON1T(Detector):
    """XENON1T SR1 electronic recoils, 1–30 keV (see the module docstring for sources and choices).

    Parameters
    ----------
    **settings
        ``tritium`` (``"off"`` or ``"free"``) and ``exposure_t_yr`` (t yr).

    Examples
    --------
    >>> from detectors import get_detector
    >>> from nugen import DipolePortal
    >>> x1t = get_detector("xenon1t", tritium="free")
    >>> counts = x1t.expected_counts(DipolePortal(0.0, 2e-11))  # dict of arrays, 29 bins
    """

    name = "xenon1t"
    title = "XENON1T SR1 low-energy electronic recoils"
    citation = (
        "E. Aprile et al. (XENON), Phys. Rev. D 102 (2020) 072004, arXiv:2006.09721; "
        "data release Zenodo record 4088778"
    )
    target = "xenon"
    source = "solar"
    scatterer = "electron"
    energy_unit = "keV"
    #: True recoils below 0.1 keV need > 6 sigma to reach the 1-keV threshold: not integrated.
    true_energy_floor_MeV = 1e-4
    #: B0 contains the SM solar-neutrino electronic recoils: fits must not add ``sm_nu``.
    sm_in_background = True
    SETTINGS = (
        Setting(
            "tritium",
            "off",
            "",
            "tritium component: 'off' = the collaboration's B0-only model (behind its (1.4, 2.9)e-11 mu_B "
            "interval); 'free' = add the released 3H template with an unconstrained normalisation >= 0 "
            "(the seed's Fig. 3 XENON1T line)",
            parse_choice("tritium", ("off", "free")),
        ),
        Setting(
            "exposure_t_yr",
            DEFAULT_EXPOSURE_T_YR,
            "t yr",
            "exposure (arXiv:2006.09721: 0.65 t yr; 1.042 t x 226.9 d = 0.6473); other values make a "
            "projection: backgrounds scale, no observed data",
            parse_positive("exposure_t_yr"),
        ),
    )

    def __init__(self, **settings: object):
        super().__init__(**settings)
        self._release = load_release()
        self._eff_E, self._eff = load_efficiency()
        self._a, self._b = _param("resolution_a"), _param("resolution_b")
        self._edges_MeV = self._release["edges_keV"] * 1e-3
        self._edges_MeV.setflags(write=False)

    @property
    def exposure_t_yr(self) -> float:
        """Exposure [t yr] (setting ``exposure_t_yr``, default 0.65)."""
        return float(self.settings["exposure_t_yr"])

    @property
    def _scale(self) -> float:
        """Released counts (B0, tritium) are for the default exposure; other exposures scale them."""
        return self.exposure_t_yr / _param("exposure")

    def resolution_MeV(self, E_MeV: ArrayLike) -> np.ndarray:
        """Resolution sigma [MeV] = (0.310 sqrt(E/keV) + 0.0037 E/keV) keV (arXiv:2006.09721 Eq. 1)."""
        E_keV = np.maximum(np.asarray(E_MeV, dtype=float), 0.0) * 1e3
        return (self._a * np.sqrt(E_keV) + self._b * E_keV) * 1e-3

    def efficiency(self, E_obs_MeV: ArrayLike) -> np.ndarray:
        """Released total efficiency at observed energy (linear interpolation), 0 outside 1–30 keV."""
        E_keV = np.asarray(E_obs_MeV, dtype=float) * 1e3
        lo, hi = self._release["edges_keV"][[0, -1]]
        eff = np.interp(E_keV, self._eff_E, self._eff, left=0.0, right=0.0)
        return np.where((E_keV >= lo) & (E_keV <= hi), eff, 0.0)

    def analysis_edges_MeV(self) -> np.ndarray:
        """1-keV bins from 1 to 30 keV [MeV] (the released binning)."""
        return self._edges_MeV.copy()

    def backgrounds(self) -> list[Background]:
        """B0 (constrained, 2.6 %) and, with ``tritium="free"``, tritium (free normalisation)."""
        s = self._scale
        rel = _param("b0_rate_uncertainty") / _param("b0_rate_1_30keV")
        out = [
            Background(
                "B0",
                self._release["B0"] * s,
                rel,
                "XENON1T SR1 background model B0 as released (includes SM solar-neutrino ERs); "
                f"normalisation uncertainty {rel:.3f} from the abstract's 76 +- 2 events/(t yr keV)",
            )
        ]
        if self.settings["tritium"] == "free":
            out.append(
                Background(
                    "tritium",
                    self._release["H3"] * s,
                    None,
                    "released tritium template for 6.2e-25 mol/mol; unconstrained normalisation >= 0",
                )
            )
        return out

    def observed(self) -> np.ndarray | None:
        """Released SR1 counts per 1-keV bin (285 in 1–7 keV); ``None`` if the exposure was changed."""
        if not np.isclose(self.exposure_t_yr, _param("exposure"), rtol=1e-9, atol=0.0):
            return None
        return self._release["N_obs"].copy()
