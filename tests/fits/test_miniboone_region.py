"""MiniBooNE release bins: the shipped per-bin CSVs sum to the totals of miniboone_params.csv."""

import math
from pathlib import Path

import numpy as np
import pytest

from detectors import data
from nugen.errors import InvalidParameterError

_DIR = Path(data.__file__).parent


def _table(name):
    """A shipped CSV read by hand (independent of detectors.data's reader): column name -> values."""
    lines = [ln for ln in (_DIR / name).read_text().splitlines() if not ln.startswith("#")]
    cols = lines[0].split(",")
    vals = np.array([[float(x) for x in ln.split(",")] for ln in lines[1:]])
    return {c: vals[:, i] for i, c in enumerate(cols)}


@pytest.mark.parametrize(("mode", "n_tot", "b_tot"), [("nu", 1959.0, 1590.568), ("nubar", 478.0, 398.198)])
def test_bin_sums_equal_the_published_totals(mode, n_tot, b_tot):
    t = _table(f"miniboone_bins_{mode}.csv")
    assert len(t["n_obs"]) == 9
    np.testing.assert_array_equal(t["E_lo_MeV"][1:], t["E_hi_MeV"][:-1])
    assert (t["E_lo_MeV"][0], t["E_hi_MeV"][-1]) == (200.0, 1250.0)
    assert t["n_obs"].sum() == n_tot
    assert t["bkg"].sum() == pytest.approx(b_tot, abs=1e-3)
    p = data.parameters("miniboone_params.csv", "quantity")
    assert t["n_obs"].sum() == p[f"n_obs_{mode}"]
    assert t["bkg"].sum() == pytest.approx(p[f"bkg_{mode}"], abs=1e-3)


# -- the released covariance and the chi^2 (fits.miniboone_region) ----------------------------------------
@pytest.mark.parametrize(
    ("mode", "b_c", "syst", "b_c_low", "syst_low"),
    [("nu", 1610.051, 79.002, 842.587, 70.195), ("nubar", 402.556, 22.992, 201.995, 15.610)],
)
def test_conditioned_covariance_reproduces_the_derived_params_rows(mode, b_c, syst, b_c_low, syst_low):
    from fits.miniboone_region import release_covariance

    n, b, C = release_covariance(mode)
    p = data.parameters("miniboone_params.csv", "quantity")
    # the rows of miniboone_params.csv (derived in an earlier session, numbers written in the CSV)
    assert b.sum() == pytest.approx(p[f"bkg_constrained_{mode}"], abs=1e-3) == b_c
    assert math.sqrt(C.sum() - _table(f"miniboone_bins_{mode}.csv")["bkg"].sum()) == pytest.approx(
        syst, abs=1e-3
    )
    assert b[:3].sum() == pytest.approx(b_c_low, abs=1e-3)
    assert math.sqrt(
        C[:3, :3].sum() - _table(f"miniboone_bins_{mode}.csv")["bkg"][:3].sum()
    ) == pytest.approx(syst_low, abs=1e-3)
    assert n.sum() == p[f"n_obs_{mode}"]
    assert np.all(np.linalg.eigvalsh(C) > 0)
    # without the nu_mu constraint: the released error incl. Poisson (row bkg_unconstrained_err)
    _, b_r, C_r = release_covariance(mode, "release")
    assert math.sqrt(C_r.sum()) == pytest.approx(p[f"bkg_unconstrained_err_{mode}"], abs=1e-3)
    assert b_r.sum() == pytest.approx(p[f"bkg_{mode}"], abs=1e-3)


def test_chi2_at_zero_coupling_equals_a_hand_computation_from_the_csvs():
    from fits.miniboone_region import chi2_bins, release_covariance

    # written independently: F from the shipped 30 x 30 table, conditioning by hand with numpy.linalg.solve
    t = _table("miniboone_fraccov_nu.csv")
    F = np.column_stack([t[f"f{k:02d}"] for k in range(30)])
    np.testing.assert_array_equal(t["row"], np.arange(30))
    bins, numu = _table("miniboone_bins_nu.csv"), _table("miniboone_numu_nu.csv")
    P = np.concatenate([bins["bkg"], numu["pred"]])
    idx = list(range(11, 20)) + list(range(22, 30))
    M = F[np.ix_(idx, idx)] * P[:, None] * P[None, :]
    M[9:, 9:] += np.diag(numu["n_obs"])
    cond_b = bins["bkg"] + M[:9, 9:] @ np.linalg.solve(M[9:, 9:], numu["n_obs"] - numu["pred"])
    cond_C = M[:9, :9] - M[:9, 9:] @ np.linalg.solve(M[9:, 9:], M[9:, :9])
    r = bins["n_obs"] - cond_b
    expected = float(r @ np.linalg.solve(cond_C, r))
    got = float(chi2_bins(*release_covariance("nu"), np.zeros(9)))
    assert got == pytest.approx(expected, rel=1e-10)
    assert 15 < expected < 30  # the excess: 349 events over 88.5 total error, spread over nine bins


def test_chi2_adds_the_signals_poisson_variance():
    from fits.miniboone_region import chi2_bins

    n, b, C = np.array([10.0, 20.0]), np.array([8.0, 15.0]), np.diag([4.0, 9.0])
    s = np.array([[1.0, 2.0], [0.0, 0.0]])
    got = chi2_bins(n, b, C, s)
    assert got[0] == pytest.approx(1.0**2 / 5.0 + 3.0**2 / 11.0, rel=1e-12)
    assert got[1] == pytest.approx(4.0 / 4.0 + 25.0 / 9.0, rel=1e-12)


@pytest.fixture(scope="module")
def region():
    from fits.miniboone_region import favoured_region

    return favoured_region(np.geomspace(20.0, 1000.0, 12), np.geomspace(1e-10, 1e-6, 81))


def test_region_contains_the_best_fit_and_is_smaller_at_90_than_95(region):
    from fits.miniboone_region import DCHI2_90, DCHI2_95

    assert DCHI2_90 == pytest.approx(-2 * math.log(0.10), rel=1e-12)  # chi2 with 2 dof: ppf = -2 ln(1 - cl)
    assert DCHI2_95 == pytest.approx(-2 * math.log(0.05), rel=1e-12)
    i = int(np.flatnonzero(region.masses_MeV == region.best_mass_MeV)[0])
    j = int(np.argmin(np.abs(np.log(region.mu_muB / region.best_mu_muB))))
    assert region.mask90[i, j] and region.mask95[i, j]
    assert region.mask90.sum() < region.mask95.sum()
    assert np.all(region.mask95[region.mask90])
    # any CL: the mask is Delta chi^2 < -2 ln(1 - cl) (2 dof), nested; a CL outside (0, 1) is refused
    np.testing.assert_array_equal(region.mask(0.99), region.delta_chi2 < -2 * math.log(0.01))
    assert np.all(region.mask(0.99)[region.mask95]) and region.mask(0.99).sum() > region.mask95.sum()
    with pytest.raises(InvalidParameterError, match="cl must be in"):
        region.extent(95)
    assert region.chi2_best <= region.chi2.min() + 1e-12
    assert region.chi2_background > region.chi2_best + 10  # the excess is significant
    s = region.summary()
    assert s["ndf"] == 7 and s["p_value_background_2dof"] == pytest.approx(
        math.exp(-s["delta_chi2_background"] / 2), rel=1e-9
    )


@pytest.mark.parametrize(("M0", "mu0"), [(450.0, 4.2e-9), (120.0, 7.0e-9)])
def test_asimov_injection_recovers_the_injected_point(M0, mu0):
    from detectors import get_detector
    from fits.miniboone_region import favoured_region, release_covariance
    from nugen import DipolePortal

    det = get_detector("miniboone")
    _, b, _ = release_covariance("nu")
    inj = b + det.binned_signal_counts(DipolePortal(M0, mu0, flavour="mu"), "nu")
    masses = np.array([0.8, 0.9, 1.0, 1.1, 1.25]) * M0
    mus = np.geomspace(1e-9, 3e-8, 61)
    r = favoured_region(masses, mus, data={"nu": inj}, detector=det)
    step = math.log(mus[1] / mus[0])
    assert r.best_mass_MeV == pytest.approx(M0, rel=1e-12)
    assert abs(math.log(r.best_mu_muB / mu0)) < step
    assert r.chi2_best < 1e-6
    assert r.chi2_background > 10


def test_bad_input_is_one_line_errors():
    from fits.miniboone_region import favoured_region, release_covariance

    with pytest.raises(InvalidParameterError):
        release_covariance("numu")
    with pytest.raises(InvalidParameterError):
        release_covariance("nu", "abstract")
    with pytest.raises(InvalidParameterError):
        favoured_region([100.0], [1e-9, 1e-8])
    with pytest.raises(InvalidParameterError):
        favoured_region([-1.0], [1e-9, 1e-8, 1e-7])


def _script():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "miniboone_favoured_region.py"
    spec = importlib.util.spec_from_file_location("miniboone_favoured_region", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_script_writes_json_csv_png_and_refuses_bad_input(tmp_path, capsys):
    import json

    import matplotlib

    matplotlib.use("Agg")
    mod = _script()
    args = ["--outdir", str(tmp_path), "--masses", "4", "--mus", "41", "--dpi", "40", "-q"]
    assert mod.main(args) == 0
    s = json.loads((tmp_path / "miniboone_region.json").read_text())
    assert s["ndf"] == 7 and s["chi2_background"] > s["best_fit"]["chi2"]
    lines = [ln for ln in (tmp_path / "miniboone_region.csv").read_text().splitlines() if ln[:1].isdigit()]
    assert len(lines) == 4 * 41
    assert (tmp_path / "miniboone_region.png").stat().st_size > 1000
    assert not list(tmp_path.glob("*.part"))
    for bad in (["--mus", "2"], ["--mass-range", "100", "10"], ["--set", "efficiency=-1"], ["--set", "x"]):
        assert mod.main([*bad, "--outdir", str(tmp_path), "--no-figure"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("miniboone_favoured_region.py: error:") and "\n" not in err
