"""fits.published: the shared comparison with a published curve, on synthetic curves known by construction."""

import math

import numpy as np

from fits.published import compare_with_published, interp_loglog


def test_loglog_interpolation_of_a_power_law_is_exact():
    # mu = 1e-6 (M / 1 MeV)^-2: a straight line in log-log, so any interior mass is reproduced exactly.
    M_pub = np.array([1.0, 10.0, 100.0])
    mu_pub = 1e-6 * M_pub**-2
    M = np.array([2.0, 31.6, 77.0])
    np.testing.assert_allclose(interp_loglog(M, M_pub, mu_pub), 1e-6 * M**-2, rtol=1e-12)


def test_median_abs_log10_ratio_known_by_construction():
    M_pub = np.array([1.0, 10.0, 100.0, 1000.0])
    mu_pub = np.array([1e-6, 1e-7, 1e-8, 1e-7])
    factors = {1.0: 10.0, 10.0: 0.01, 100.0: 1.0, 1000.0: 1000.0}  # |log10| = 1, 2, 0, 3 -> median 1.5
    pub = dict(zip(M_pub, mu_pub, strict=True))
    cmp = compare_with_published(lambda m: pub[m] * factors[m], M_pub, mu_pub)
    np.testing.assert_allclose(cmp.ratio, [10.0, 0.01, 1.0, 1000.0], rtol=1e-12)
    assert math.isclose(cmp.median_abs_log10_ratio, 1.5, rel_tol=1e-12)
    assert set(cmp.as_dict()) == {"M_MeV", "published_muB", "ours_muB", "ratio", "median_abs_log10_ratio"}


def test_no_limit_is_nan_and_left_out_of_the_median():
    M_pub = np.array([1.0, 10.0, 100.0])
    mu_pub = np.array([1e-6, 1e-7, 1e-8])
    # a limit 2x the published one below 50 MeV, none above (beyond the reach)
    cmp = compare_with_published(lambda m: None if m > 50 else 2e-6 * m**-1, M_pub, mu_pub)
    assert math.isnan(cmp.ours_muB[2])
    assert math.isclose(cmp.median_abs_log10_ratio, math.log10(2.0), rel_tol=1e-12)


def test_all_none_gives_nan():
    cmp = compare_with_published(lambda m: None, [1.0, 2.0], [1e-6, 1e-7])
    assert math.isnan(cmp.median_abs_log10_ratio)
