"""DipolePortal: N -> nu gamma width, lifetime, decay length (physics.md Sec. 4, item 4) and bad input."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from nugen import DipolePortal, NugenError
from nugen.errors import InvalidParameterError, UnknownNameError

M_TO_CM = 100.0


# ---------------------------------------------------------------------------------------------------
# Reference numbers
# ---------------------------------------------------------------------------------------------------
def test_width_and_lifetime_item4():
    dirac = DipolePortal(1.0, 1e-10, flavour="mu")
    majorana = DipolePortal(1.0, 1e-10, flavour="mu", nature="majorana")
    assert dirac.width_MeV == pytest.approx(1.7466e-23, abs=0.00005e-23)  # quoted to 5 digits
    assert majorana.width_MeV == pytest.approx(3.4933e-23, abs=0.00005e-23)
    assert dirac.lifetime_s == pytest.approx(37.68, abs=0.005)  # quoted to 0.01 s
    assert majorana.lifetime_s == pytest.approx(18.84, abs=0.005)
    assert dirac.ctau_cm / M_TO_CM == pytest.approx(1.130e10, abs=0.0005e10)  # c tau = 1.130e10 m


@pytest.mark.parametrize(
    ("M", "mu", "tau_s", "rel"),
    [
        (1.0, 1e-11, 3768.0, 5e-4),  # "tau = 3768 s": 4 digits
        (0.1, 3e-11, 4.19e5, 5e-3),  # "4.19e5 s": 3 digits
        (10.0, 1e-8, 3.77e-6, 5e-3),  # "3.77e-6 s": 3 digits
    ],
)
def test_lifetime_examples_sec_4_1(M, mu, tau_s, rel):
    assert DipolePortal(M, mu, flavour="mu").lifetime_s == pytest.approx(tau_s, rel=rel)


def test_ctau_example_sec_4_1():
    # mu = 1e-8, M = 10 MeV, Dirac: c tau = 1.13e3 m
    assert DipolePortal(10.0, 1e-8, flavour="mu").ctau_cm / M_TO_CM == pytest.approx(1.13e3, abs=0.005e3)


def test_width_is_mu2_M3_over_16pi():
    # Gamma = mu^2 M^3 / (16 pi) with mu = mu_B = e/(2 m_e) = 0.296304 MeV^-1 (physics.md Sec. 0, 4.1)
    assert DipolePortal(2.0, 1.0, flavour="e").width_MeV == pytest.approx(
        0.296304**2 * 8.0 / (16 * math.pi),
        rel=5e-6,  # mu_B quoted to 6 digits
    )


def test_lifetime_scaling_law():
    # tau_Dirac = 37.68 s x (1e-10 mu_B / mu)^2 x (1 MeV / M)^3
    ref = DipolePortal(1.0, 1e-10, flavour="mu").lifetime_s
    for M in (0.01, 0.3, 1.0, 7.0, 250.0):
        for mu in (1e-12, 3e-11, 1e-10, 4e-8):
            tau = DipolePortal(M, mu, flavour="mu").lifetime_s
            assert tau == pytest.approx(ref * (1e-10 / mu) ** 2 / M**3, rel=1e-12)  # pure power law


def test_decay_length_example_sec_4_2():
    # mu = 1e-8 mu_B, M = 10 MeV, E_N = 20 GeV, Dirac: lambda_lab = (p/M) c tau = 2.26e6 m
    model = DipolePortal(10.0, 1e-8, flavour="mu")
    p = math.sqrt(20e3**2 - 10.0**2)
    lam = float(model.decay_length_cm(p))
    assert lam / M_TO_CM == pytest.approx(2.26e6, abs=0.005e6)  # 3 digits
    assert lam == pytest.approx(p / 10.0 * model.ctau_cm, rel=1e-15)
    # vectorised over momenta
    ps = np.array([[1.0], [100.0]])
    assert model.decay_length_cm(ps).shape == (2, 1)


def test_stable_limits_give_infinite_lifetime_and_decay_length():
    for model in (DipolePortal(0.0, 1e-10), DipolePortal(1.0, 0.0)):
        assert model.width_MeV == 0.0
        assert math.isinf(model.lifetime_s)
        assert math.isinf(model.ctau_cm)
        assert np.all(np.isinf(model.decay_length_cm(np.array([1.0, 10.0]))))


# ---------------------------------------------------------------------------------------------------
# Flavour structure and nature
# ---------------------------------------------------------------------------------------------------
def test_universal_width_is_three_times_single_flavour():
    for nature in ("dirac", "majorana"):
        single = DipolePortal(0.5, 2e-10, flavour="tau", nature=nature).width_MeV
        universal = DipolePortal(0.5, 2e-10, flavour="universal", nature=nature).width_MeV
        assert universal == pytest.approx(3 * single, rel=1e-15)  # sum_alpha |mu_alpha|^2
        vec = DipolePortal(0.5, (2e-10, 2e-10, 2e-10), nature=nature).width_MeV
        assert vec == pytest.approx(universal, rel=1e-15)


def test_flavour_vector_width_is_sum_of_squares():
    model = DipolePortal(1.0, (1e-10, 2e-10, 0.0))
    single = DipolePortal(1.0, 1e-10, flavour="e").width_MeV
    assert model.width_MeV == pytest.approx(5 * single, rel=1e-14)
    assert model.flavour == "custom"
    assert model.mu_max == 2e-10
    np.testing.assert_array_equal(model.pattern, [0.5, 1.0, 0.0])


def test_majorana_is_twice_dirac():
    for M, mu in ((0.02, 1e-11), (3.0, 5e-9)):
        d = DipolePortal(M, mu, flavour="e").width_MeV
        m = DipolePortal(M, mu, flavour="e", nature="majorana").width_MeV
        assert m == pytest.approx(2 * d, rel=1e-15)


@pytest.mark.parametrize(
    ("flavour", "pattern"),
    [("universal", (1, 1, 1)), ("e", (1, 0, 0)), ("mu", (0, 1, 0)), ("tau", (0, 0, 1))],
)
def test_flavour_patterns(flavour, pattern):
    model = DipolePortal(1.0, 3e-11, flavour=flavour)
    np.testing.assert_array_equal(model.mu_flavour, 3e-11 * np.array(pattern, dtype=float))
    np.testing.assert_array_equal(model.pattern, pattern)


def test_with_mu_keeps_mass_nature_and_pattern():
    for model in (
        DipolePortal(0.3, 1e-11, flavour="mu", nature="majorana"),
        DipolePortal(0.3, 1e-11, flavour="universal"),
        DipolePortal(0.3, (1e-11, 4e-11, 2e-11), nature="majorana"),
    ):
        new = model.with_mu(8e-11)
        assert new.mass_MeV == model.mass_MeV
        assert new.nature == model.nature
        assert new.flavour == model.flavour
        assert new.mu_max == pytest.approx(8e-11, rel=1e-15)
        np.testing.assert_allclose(new.pattern, model.pattern, rtol=1e-15)
        # the rate scales as mu^2 at fixed M: so does the width
        assert new.width_MeV == pytest.approx(model.width_MeV * (8e-11 / model.mu_max) ** 2, rel=1e-14)
    assert DipolePortal(0.3, 1e-11, flavour="e").with_mu(0.0).width_MeV == 0.0


def test_describe_is_json_ready():
    d = DipolePortal(1.5, 2e-11, flavour="mu", nature="majorana").describe()
    assert d == {
        "mass_MeV": 1.5,
        "mu_muB": 2e-11,
        "flavour": {"e": 0.0, "mu": 2e-11, "tau": 0.0},
        "nature": "majorana",
    }
    assert json.loads(json.dumps(d)) == d  # plain Python types only
    d2 = DipolePortal(1.0, (1e-11, 2e-11, 3e-11)).describe()
    assert d2["flavour"] == {"e": 1e-11, "mu": 2e-11, "tau": 3e-11}
    assert d2["mu_muB"] == 3e-11


def test_model_is_immutable():
    model = DipolePortal(1.0, 1e-10)
    with pytest.raises(AttributeError):
        model.mass_MeV = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        model.mu_flavour[0] = 1.0


# ---------------------------------------------------------------------------------------------------
# Bad input: NugenError subclasses (ValueErrors) naming the bad value
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"mass_MeV": -1.0}, InvalidParameterError, r"mass_MeV.*-1\.0"),
        ({"mass_MeV": float("nan")}, InvalidParameterError, r"mass_MeV.*nan"),
        ({"mass_MeV": float("inf")}, InvalidParameterError, r"mass_MeV.*inf"),
        ({"mass_MeV": "heavy"}, InvalidParameterError, r"mass_MeV.*'heavy'"),
        ({"mass_MeV": 1.0, "mu_muB": -1e-10}, InvalidParameterError, r"mu_muB.*-1e-10"),
        ({"mass_MeV": 1.0, "mu_muB": float("nan")}, InvalidParameterError, r"mu_muB.*nan"),
        ({"mass_MeV": 1.0, "mu_muB": float("-inf")}, InvalidParameterError, r"mu_muB.*-inf"),
        (
            {"mass_MeV": 1.0, "mu_muB": 1e-10, "flavour": "muon"},
            UnknownNameError,
            r"flavour 'muon'.*known: mu,",
        ),
        ({"mass_MeV": 1.0, "nature": "pseudo-dirac"}, UnknownNameError, r"nature 'pseudo-dirac'.*dirac"),
        ({"mass_MeV": 1.0, "mu_muB": (1e-10, 2e-10)}, InvalidParameterError, r"3 values.*\(1e-10, 2e-10\)"),
        ({"mass_MeV": 1.0, "mu_muB": (1e-10,) * 4}, InvalidParameterError, r"3 values"),
        ({"mass_MeV": 1.0, "mu_muB": (0.0, -2e-10, 0.0)}, InvalidParameterError, r"mu_mu .*-2e-10"),
        ({"mass_MeV": 1.0, "mu_muB": (0.0, 0.0, float("nan"))}, InvalidParameterError, r"mu_tau .*nan"),
    ],
)
def test_bad_input_raises_named_value_error(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern) as info:
        DipolePortal(**kwargs)
    assert isinstance(info.value, NugenError)
    assert isinstance(info.value, ValueError)


def test_unknown_flavour_lists_closest_first():
    with pytest.raises(UnknownNameError) as info:
        DipolePortal(1.0, 1e-10, flavour="taus")
    assert info.value.known[0] == "tau"
    assert set(info.value.known) == {"universal", "e", "mu", "tau"}


def test_with_mu_rejects_bad_values():
    model = DipolePortal(1.0, 1e-10)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidParameterError, match=re.escape(repr(bad))):
            model.with_mu(bad)
