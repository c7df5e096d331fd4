"""nugen's limits against pyhf (Heinrich, Feickert, Stark, Cranmer, JOSS 6 (2021) 2823) on the same model.

The pyhf model comes from :func:`fits.pyhf_export.to_pyhf_spec`. The likelihoods must agree up to a
constant; the 90 % CL one-sided upper limit must agree with the root of pyhf's own
``pyhf.infer.test_statistics.qmu_tilde`` (the same statistic, Cowan et al.'s q~, with the same asymptotic
threshold chi2.ppf(2 CL - 1, 1) = 1.642), found here by scipy's brentq with pyhf's default optimizer
(scipy SLSQP, numpy backend): an independent minimiser and root finder.

Tolerance of the limits, 1e-4 relative in s (5e-5 in mu = sqrt(s / sum S)): nugen stops its root search
at |sqrt(q) - sqrt(c)| < 1e-4, i.e. |Delta s| < 1e-4 sigma_s, and sigma_s < s_up / 1.28 when s^ >= 0 (the
root lies 1.28 sigma above s^), so |Delta s| / s_up < 8e-5; MIGRAD's EDM < 2e-7 and SLSQP's ftol = 1e-6 in
-2 ln L move sqrt(q) by < 1e-6. Measured: ~1e-8 to 1e-7.

Borexino is checked only for the likelihood, not the limit: pyhf's default SLSQP (finite-difference
gradients) stops 0.02 above the global minimum of -2 ln L there, along the direction in which the free
85Kr background and the signal are nearly degenerate (benchmarks/bench_pyhf.py; docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from detectors import get_detector
from fits.likelihood import BinnedLikelihood, Component
from fits.limits import likelihood_limit, thresholds
from fits.pyhf_export import POI, to_pyhf_spec
from nugen.errors import InvalidParameterError

pytestmark = [
    pytest.mark.crosscheck,
    # pyhf 0.7.6 validates workspaces with jsonschema's deprecated RefResolver
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning"),
]

CL = 0.9
RTOL_S = 1e-4


@pytest.fixture(scope="module")
def pyhf():
    pyhf = pytest.importorskip("pyhf")
    pyhf.set_backend("numpy", "scipy")
    return pyhf


def model_and_data(pyhf, lik):
    ws = pyhf.Workspace(to_pyhf_spec(lik))
    model = ws.model()
    return model, np.asarray(ws.data(model))


def nugen_pars_to_pyhf(lik, model, s, theta):
    pars = np.asarray(model.config.suggested_init(), dtype=float)
    pars[model.config.poi_index] = s
    for comp, th in zip(lik.components, theta, strict=True):
        if comp.rel_uncertainty is None:
            pars[model.config.par_slice(f"theta_{comp.name}")] = th
        else:
            pars[model.config.par_slice(f"alpha_{comp.name}")] = (th - 1.0) / comp.rel_uncertainty
    return pars


def pyhf_upper_limit_s(pyhf, lik):
    """Root of pyhf's qmu_tilde(s) = chi2.ppf(2 CL - 1, 1), bracket doubled from 1 event."""
    from scipy.optimize import brentq

    model, data = model_and_data(pyhf, lik)
    init = model.config.suggested_init()
    bounds = model.config.suggested_bounds()
    fixed = model.config.suggested_fixed()
    c = thresholds(CL)[0]

    def f(s):
        return float(pyhf.infer.test_statistics.qmu_tilde(s, data, model, init, bounds, fixed)) - c

    lo, hi = 0.0, 1.0
    while f(hi) < 0:
        lo, hi = hi, 2.0 * hi
    return float(brentq(f, lo, hi, xtol=1e-9, rtol=1e-9)), model, data


def nugen_upper_limit(lik):
    r = likelihood_limit(lik, CL)
    return lik.s_from_mu(r.mu_upper_one_sided_muB), r.mu_upper_one_sided_muB


def check_limit(pyhf, lik):
    s_nugen, mu_nugen = nugen_upper_limit(lik)
    s_pyhf, model, data = pyhf_upper_limit_s(pyhf, lik)
    assert s_pyhf == pytest.approx(s_nugen, rel=RTOL_S)
    assert lik.mu_from_s(s_pyhf) == pytest.approx(mu_nugen, rel=RTOL_S / 2)
    # and the limit lies well inside the exported POI bounds (they never bind)
    assert s_pyhf < 0.1 * model.config.suggested_bounds()[model.config.poi_index][1]
    return s_nugen, model, data


def xenon1t(mass=0.0):
    return BinnedLikelihood.from_detector(get_detector("xenon1t"), mass)


def toy_experiment(toy, mass, s_true, seed):
    base = BinnedLikelihood.from_detector(toy.ToyDetector(), mass)
    return base.toy(np.random.default_rng(seed), s_true)


# -- the model ----------------------------------------------------------------------------------------


def test_export_does_not_import_pyhf_and_is_json():
    code = (
        "import json, sys; from detectors import get_detector; from fits.likelihood import BinnedLikelihood;"
        "from fits.pyhf_export import to_pyhf_spec;"
        "json.dumps(to_pyhf_spec(BinnedLikelihood.from_detector(get_detector('xenon1t'), 0.0)));"
        "assert 'pyhf' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_spec_layout(toy):
    lik = toy_experiment(toy, 0.0, 30.0, seed=5)
    spec = json.loads(json.dumps(to_pyhf_spec(lik, channel="toy")))
    samples = {s["name"]: s for s in spec["channels"][0]["samples"]}
    assert list(samples) == ["signal", "flat", "rising", "sm_nu"]
    assert sum(samples["signal"]["data"]) == pytest.approx(1.0)
    assert samples["signal"]["modifiers"] == [{"name": POI, "type": "normfactor", "data": None}]
    assert samples["rising"]["modifiers"][0]["type"] == "normfactor"
    flat = samples["flat"]["modifiers"][0]
    assert flat["type"] == "histosys"
    assert flat["data"]["hi_data"] == pytest.approx(1.05 * np.asarray(samples["flat"]["data"]))
    assert flat["data"]["lo_data"] == pytest.approx(0.95 * np.asarray(samples["flat"]["data"]))
    params = {p["name"]: p for p in spec["measurements"][0]["config"]["parameters"]}
    assert params["alpha_flat"]["auxdata"] == [pytest.approx((lik.centres[0] - 1.0) / 0.05)]
    assert params["alpha_flat"]["bounds"][0][0] == pytest.approx(-1.0 / 0.05)  # theta >= 0
    assert params["alpha_sm_nu"]["auxdata"] == [pytest.approx((lik.centres[1] - 1.0) / 0.1)]
    assert params["theta_rising"]["bounds"] == [[0.0, 100.0]]
    assert spec["observations"][0]["data"] == pytest.approx(lik.data)


def test_no_signal_is_refused():
    lik = BinnedLikelihood([5.0, 6.0], [0.0, 0.0], [Component("b", [5.0, 5.0], 0.1)])
    with pytest.raises(InvalidParameterError, match="signal is zero"):
        to_pyhf_spec(lik)


@pytest.mark.parametrize("name", ["xenon1t", "borexino", "toy"])
def test_likelihoods_agree_up_to_a_constant(pyhf, toy, name):
    """pyhf's -2 ln L minus nugen's is the same at random points (free and constrained, toy centres)."""
    rng = np.random.default_rng(11)
    if name == "toy":
        lik = toy_experiment(toy, 0.1, 40.0, seed=2)
    else:
        lik = BinnedLikelihood.from_detector(get_detector(name), 0.0)
    model, data = model_and_data(pyhf, lik)
    cost = lik._cost()
    offsets = []
    for _ in range(6):
        s = rng.uniform(0.0, 3.0 * math.sqrt(lik.data.sum()))
        theta = rng.uniform(0.7, 1.3, len(lik.components))
        pars = nugen_pars_to_pyhf(lik, model, s, theta)
        assert model.expected_actualdata(pars) == pytest.approx(lik.expected(s, theta), rel=1e-12)
        offsets.append(float(-2.0 * model.logpdf(pars, data)[0]) - cost(s, *theta))
    assert np.ptp(offsets) < 1e-8 * max(1.0, abs(offsets[0]))


# -- the limits ---------------------------------------------------------------------------------------


def test_xenon1t_limit_at_zero_mass_equals_pyhf(pyhf):
    lik = xenon1t(0.0)
    s_up, model, data = check_limit(pyhf, lik)
    # pyhf's asymptotic CLs+b for q~ at our limit is 1 - CL (the observed limit lies above the median
    # expected one here, where the q~ and q_mu asymptotic distributions coincide)
    _, (clsb, _clb) = pyhf.infer.hypotest(s_up, data, model, test_stat="qtilde", return_tail_probs=True)
    assert float(clsb) == pytest.approx(1.0 - CL, abs=1e-4)


@pytest.mark.parametrize(("mass", "s_true", "seed"), [(0.0, 40.0, 1), (0.2, 0.0, 4)])
def test_toy_experiment_limits_equal_pyhf(pyhf, toy, mass, s_true, seed):
    """Two constrained backgrounds with fluctuated constraint centres (pyhf auxdata) and a free one."""
    lik = toy_experiment(toy, mass, s_true, seed)
    assert np.all(lik.centres != 1.0)
    check_limit(pyhf, lik)
