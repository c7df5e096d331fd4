"""fits.lsnd_limit: registration, edge cases of the Gaussian statistic, CLI defaults of other detectors.

The physics checks of the LSND limit are in tests/detectors/test_lsnd.py.
"""

from __future__ import annotations

import json

import pytest
from scipy import stats

from fits.limits import LIMIT_METHODS
from fits.lsnd_limit import gaussian_signal_limit, lsnd_limit, method_text
from fits.plots import CURVE_STYLES, DETECTOR_LABELS


def test_registered_with_a_label_and_a_style():
    assert LIMIT_METHODS["lsnd"] == "fits.lsnd_limit:lsnd_detector_limit"
    assert "lsnd" in DETECTOR_LABELS and "lsnd" in CURVE_STYLES


@pytest.mark.parametrize("cl", [0.68, 0.9, 0.95, 0.99])
def test_gaussian_limit_is_the_one_sided_normal_quantile_without_excess(cl):
    # measured = expected: s_up = z_CL sigma, with z from scipy (chi2.ppf(2 CL - 1, 1) = z^2)
    s_hat, s_up, q0 = gaussian_signal_limit(100.0, 100.0, 10.0, cl)
    assert (s_hat, q0) == (0.0, 0.0)
    assert s_up == pytest.approx(stats.norm.ppf(cl) * 10.0, rel=1e-12)
    with pytest.raises(ValueError, match="error"):
        gaussian_signal_limit(1.0, 1.0, 0.0)


def test_lsnd_limit_builds_the_detector_from_settings():
    base = lsnd_limit(20.0, n_mc=5000)
    strict = lsnd_limit(20.0, n_mc=5000, statistic="poisson")
    assert base.mu_upper_muB > strict.mu_upper_muB > 0  # Poisson ignores the subtraction-inflated stat error
    assert "Gaussian likelihood" in base.method and "Poisson count" in strict.method
    assert "2.706" in method_text(0.95, "gaussian", 1.0, "observed")


def test_other_detectors_keep_universal_and_90_percent_as_cli_defaults(capsys):
    from nugen.cli import main

    assert main(["limit", "--detector", "nomad", "--mass", "100", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["flavour"], doc["cl"]) == ("universal", 0.9)
