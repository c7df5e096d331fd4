"""The shipped projection cards (issue 13): DARWIN, XLZD and LZ inputs against their sources, the shared xenon
background spectra against decay arithmetic, and nugen's SM solar-neutrino rate in xenon against the XENON
collaboration's independent spectrum. (XENONnT, with data, is in test_card.py.)"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import constants

from detectors import get_detector
from detectors.beta_spectra import BetaShape
from detectors.card import shipped_card_path
from fits.limits import detector_limit
from nugen.rates import rate_calculator
from nugen.tables import parse_table

KEV = 1e-3
DATA = Path(__file__).parent / "data"


def _table(path: Path, *cols: str) -> list[np.ndarray]:
    t = parse_table(path.read_text(encoding="utf-8"), str(path), cols)
    return [np.asarray(t[c], float) for c in cols]


def _mean_1_30(name: str) -> float:
    E, r = _table(shipped_card_path("darwin").parent / name, "E_keV", "rate_per_t_yr_keV")
    x = np.linspace(1.0, 30.0, 2901)
    return float(np.trapezoid(np.interp(x, E, r), x) / 29.0)


def test_darwin_card_follows_the_collaboration_study():
    d = get_detector("darwin")
    assert d.exposure_t_yr == pytest.approx(300.0)  # 30 t x 10 live years, arXiv:2006.03114 abstract
    assert float(d.resolution_MeV(10 * KEV)) / KEV == pytest.approx(0.313 * math.sqrt(10) + 0.002 * 10)
    assert d.observed() is None and d.sm_in_background is False and d.sm_rel_uncertainty == 0.02
    bkg = {b.name: b for b in d.backgrounds()}
    assert set(bkg) == {"Pb214", "Kr85", "Xe136", "Xe124"}
    # 214Pb at 0.1 uBq/kg = a tenth of the shared 1-uBq/kg spectrum; efficiency 1 above 1 keV
    assert bkg["Pb214"].counts.sum() == pytest.approx(
        0.1 * _mean_1_30("xenon_pb214.csv") * 29 * 300, rel=2e-3
    )
    assert bkg["Kr85"].counts.sum() == pytest.approx(_mean_1_30("xenon_kr85.csv") * 29 * 300, rel=2e-3)


def test_xlzd_card_uses_the_taskforce_levels_on_the_shared_spectra():
    x = get_detector("xlzd")
    bkg = {b.name: b for b in x.backgrounds()}
    d = {b.name: b for b in get_detector("darwin").backgrounds()}
    # same 214Pb level (0.1 uBq/kg) and 0.3 x DARWIN's krypton (0.03 vs 0.1 ppt), per t yr; the
    # efficiencies differ (XENONnT's curve vs 1), so compare one bin, 10-11 keV, with its mean efficiency
    eff = float(np.mean(x.efficiency(np.linspace(10, 11, 101) * KEV)))
    for name, ratio in (("Pb214", 1.0), ("Kr85", 0.3), ("Xe136", 1.0)):
        per_t_yr_x = bkg[name].counts[9] / x.exposure_t_yr
        per_t_yr_d = d[name].counts[9] / 300.0
        assert per_t_yr_x == pytest.approx(ratio * eff * per_t_yr_d, rel=5e-3), name


def test_shared_krypton_spectrum_is_natural_krypton_at_0p1_ppt():
    # decay arithmetic, independent of the table: 0.1 ppt (mol/mol) natKr in xenon, 85Kr/Kr = 2e-11,
    # T1/2 = 10.76 yr, 99.56 % to the ground state (first-forbidden unique beta, Q = 687 keV)
    n_xe = constants.Avogadro / 131.293 * 1e6  # atoms per tonne of natural xenon
    decays = 0.1e-12 * 2e-11 * n_xe * math.log(2) / 10.76  # per t yr
    shape = BetaShape("85Kr", 0.687, 37, 85, kind="unique1")
    T = np.linspace(1.0, 30.0, 2901)
    expected = decays * 0.9956 * float(np.trapezoid(shape.pdf(T * KEV) * KEV, T)) / 29.0
    # 10 %: the 85Kr/Kr ratio (~2e-11) is known to about that; the table's shape is Mougeot's
    assert _mean_1_30("xenon_kr85.csv") == pytest.approx(expected, rel=0.10)


@pytest.mark.parametrize("T_keV", [2.0, 10.0, 20.0, 30.0])
def test_sm_solar_electron_recoils_in_xenon_match_the_xenon_collaboration_spectrum(T_keV):
    # XENON's projection spectrum (free-electron approximation with binding steps, different code and flux
    # tables): 2 % covers flux-table differences (B16 vs older SSMs, ~1 %) and the step positions; 5 keV,
    # next to the L-shell steps, is left out on purpose
    E, ref = _table(DATA / "xenon_solar_nu_er_reference.csv", "E_keV", "rate_per_t_yr_keV")
    rc = rate_calculator("solar", "xenon")
    ours = float(rc.sm_counts(np.array([T_keV - 0.25, T_keV + 0.25]) * KEV).sum()) / 0.5
    assert ours == pytest.approx(float(np.interp(T_keV, E, ref)), rel=0.02)


def test_lz_card_exposure_and_background_follow_the_abstracts():
    lz = get_detector("lz")
    assert lz.exposure_t_yr == pytest.approx(5.5 * 60 / 365.25)  # arXiv:2307.15753 abstract
    # (6.3 +- 0.5)e-5 /(keV kg day) (arXiv:2211.17120 abstract) over 1.5-15 keV, already after cuts
    (b,) = lz.backgrounds()
    assert b.counts.sum() == pytest.approx(23.0 * lz.exposure_t_yr * 13.5, rel=1e-9)
    assert b.rel_uncertainty == pytest.approx(0.5 / 6.3, abs=1e-3)


def test_lz_expected_limit_is_within_25_percent_of_the_published_recast():
    """LZ's own mu_nu limit (arXiv:2307.15753) could not be read; Atzori Corona et al. recast the same run and
    quote mu_nu < 1.1e-11 mu_B (90 % CL, arXiv:2207.05036 abstract). The card has no data, so nugen gives the
    median expected limit; an observed limit scatters around it by the +-1 sigma band (~ +-35 %), and the
    card's efficiency and window are stand-ins: 25 % is the issue's tolerance, met here with margin."""
    r = detector_limit(get_detector("lz"), 0.0, "universal")
    assert r.expected and r.mu_upper_muB == pytest.approx(1.1e-11, rel=0.25)


def _rc_component(name: str, T_keV: float, scatterer: str) -> float:
    rc = rate_calculator("solar", "xenon")
    i = list(rc.component_names).index(name)
    return float(rc.sm_counts(np.array([T_keV - 0.05, T_keV + 0.05]) * KEV, scatterer)[i].sum()) / 0.1


def test_8b_cevns_in_xenon_matches_the_xenon_collaboration_spectrum():
    # XENON's 8B CEvNS spectrum (J. Pienaar 2020, an independent code): the shape between 0.5 and 2 keV
    # (a factor ~38 fall, set by the form factor and the 8B spectrum, independent of the flux) agrees to 2 %;
    # the normalisation to 8 % (nugen: B16-GS98 8B flux 5.46e6 /cm^2/s; the file does not state its flux)
    E, ref = _table(DATA / "xenon_8b_cevns_reference.csv", "E_keV", "rate_per_t_yr_keV")
    ours = {T: _rc_component("8B", T, "nucleus") for T in (0.5, 1.0, 2.0)}
    theirs = {T: float(np.interp(T, E, ref)) for T in ours}
    assert ours[0.5] / ours[2.0] == pytest.approx(theirs[0.5] / theirs[2.0], rel=0.02)
    for T in ours:
        assert ours[T] == pytest.approx(theirs[T], rel=0.08), T
