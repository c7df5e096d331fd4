"""MiniBooNE release bins: the shipped per-bin CSVs sum to the totals of miniboone_params.csv."""

from pathlib import Path

import numpy as np
import pytest

from detectors import data

_DIR = Path(data.__file__).parent


@pytest.mark.parametrize(("mode", "n_tot", "b_tot"), [("nu", 1959.0, 1590.568), ("nubar", 478.0, 398.198)])
def test_bin_sums_equal_the_published_totals(mode, n_tot, b_tot):
    lines = [
        ln for ln in (_DIR / f"miniboone_bins_{mode}.csv").read_text().splitlines() if not ln.startswith("#")
    ]
    cols = lines[0].split(",")
    vals = np.array([[float(x) for x in ln.split(",")] for ln in lines[1:]])
    t = {c: vals[:, i] for i, c in enumerate(cols)}
    assert len(t["n_obs"]) == 9
    np.testing.assert_array_equal(t["E_lo_MeV"][1:], t["E_hi_MeV"][:-1])
    assert (t["E_lo_MeV"][0], t["E_hi_MeV"][-1]) == (200.0, 1250.0)
    assert t["n_obs"].sum() == n_tot
    assert t["bkg"].sum() == pytest.approx(b_tot, abs=1e-3)
    p = data.parameters("miniboone_params.csv", "quantity")
    assert t["n_obs"].sum() == p[f"n_obs_{mode}"]
    assert t["bkg"].sum() == pytest.approx(p[f"bkg_{mode}"], abs=1e-3)
