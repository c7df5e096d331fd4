"""A small, fully controllable detector for the fits tests (not a test module itself).

``load()`` imports this file as the module ``nugen_tests_toy`` and registers the detector as ``toy`` (and a
variant with four times the exposure as ``toy2``) in
:mod:`detectors.registry` (tests undo that with ``monkeypatch``), so the fits API and the
command line can use it by name, also in forked worker processes.

Model (20 bins of 1 keV from 1 to 21 keV, exposure 1 t yr):

* signal per flavour for mu_alpha = 1 mu_B: ``SIGNAL_NORM x w_alpha x shape(M_N) x reach(M_N)``, an
  exponential that hardens with mass, suppressed by ``(1 - M_N / M_MAX)^2`` and zero for
  M_N >= M_MAX = 0.3 MeV; flavour weights (0.55, 0.18, 0.27);
* SM neutrinos: 2 events per bin, 10 % uncertainty;
* backgrounds: "flat" 40 per bin (5 %) and "rising" 2 E/keV per bin (free);
* data (setting ``data``): ``none`` (a projection), ``background`` (the rounded background-only
  expectation) or ``signal`` (rounded expectation with universal mu = ``mu_true`` at M_N = 0);
* setting ``fail_above`` [MeV]: signal_templates raises for larger masses (tests of failed scan points).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from detectors.base import Background, Detector, Setting, parse_choice, parse_nonnegative

MODULE = "nugen_tests_toy"
M_MAX = 0.3
SIGNAL_NORM = 1e23
WEIGHTS = np.array([0.55, 0.18, 0.27])
EDGES_KEV = np.arange(1.0, 22.0)
X = 0.5 * (EDGES_KEV[:-1] + EDGES_KEV[1:])


def shape(M_N: float) -> np.ndarray:
    """Normalised signal shape: exp(-E / L) with L = 3 keV + 10 keV x M_N / M_MAX (harder with mass)."""
    f = np.exp(-X / (3.0 + 10.0 * M_N / M_MAX))
    return f / f.sum()


def reach(M_N: float) -> float:
    """Suppression of the signal with mass: (1 - M_N / M_MAX)^2, 0 beyond M_MAX."""
    return max(0.0, 1.0 - M_N / M_MAX) ** 2


class ToyDetector(Detector):
    name = "toy"
    title = "Toy detector"
    citation = "tests/fits/toy.py"
    SETTINGS = (
        Setting(
            "data",
            "signal",
            "",
            "none | background | signal",
            parse_choice("data", ("none", "background", "signal")),
        ),
        Setting("mu_true", 2e-11, "mu_B", "universal mu of the 'signal' data", parse_nonnegative("mu_true")),
        Setting(
            "fail_above",
            1e9,
            "MeV",
            "signal_templates raises above this mass",
            parse_nonnegative("fail_above"),
        ),
    )

    @property
    def exposure_t_yr(self) -> float:
        return 1.0

    def resolution_MeV(self, E_MeV):
        return 0.3e-3 * np.sqrt(np.asarray(E_MeV, dtype=float) / 1e-3)

    def efficiency(self, E_obs_MeV):
        return np.ones_like(np.asarray(E_obs_MeV, dtype=float))

    def analysis_edges_MeV(self):
        return EDGES_KEV * 1e-3

    def signal_templates(self, M_N, edges_MeV=None):
        if M_N > self.settings["fail_above"]:
            raise RuntimeError(f"toy failure at M_N = {M_N} MeV")
        return SIGNAL_NORM * reach(M_N) * WEIGHTS[:, None] * shape(M_N)[None, :]

    def sm_counts(self, edges_MeV=None):
        return np.full(X.size, 2.0)

    sm_rel_uncertainty = 0.1

    def backgrounds(self):
        return [
            Background("flat", np.full(X.size, 40.0), 0.05),
            Background("rising", 2.0 * X, None),
        ]

    def observed(self):
        kind = self.settings["data"]
        if kind == "none":
            return None
        total = sum(b.counts for b in self.backgrounds()) + self.sm_counts()
        if kind == "signal":
            total = total + self.settings["mu_true"] ** 2 * self.signal_templates(0.0).sum(axis=0)
        return np.round(total)


def load(monkeypatch=None):
    """Import this module as :data:`MODULE` and register ``toy`` in the detector registry."""
    if MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(MODULE, Path(__file__))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[MODULE] = mod
        spec.loader.exec_module(mod)
    from detectors import registry

    if monkeypatch is not None:
        monkeypatch.setitem(registry._REGISTRY, "toy", f"{MODULE}:ToyDetector")
        monkeypatch.setitem(registry._REGISTRY, "toy2", f"{MODULE}:ToyDetector2")
    return sys.modules[MODULE]


class ToyDetector2(ToyDetector):
    """A second registered toy (a scan over two detectors): four times the exposure of ``toy``."""

    name = "toy2"
    title = "Toy detector 2"

    @property
    def exposure_t_yr(self) -> float:
        return 4.0

    def signal_templates(self, M_N, edges_MeV=None):
        return 4.0 * super().signal_templates(M_N, edges_MeV)

    def sm_counts(self, edges_MeV=None):
        return 4.0 * super().sm_counts(edges_MeV)

    def backgrounds(self):
        return [Background(b.name, 4.0 * b.counts, b.rel_uncertainty) for b in super().backgrounds()]
