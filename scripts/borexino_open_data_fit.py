"""Fit nugen's Borexino model (SM solar neutrinos + analytic backgrounds) to the Phase-II open data.

What it does (issue 5): a binned Poisson-likelihood fit of

* the SM solar components from :mod:`nugen.rates` (pp, pep, 7Be, CNO free; 8B + hep fixed to B16-GS98),
* the backgrounds of :class:`detectors.borexino.Borexino` with free rates (14C pile-up, 85Kr, 210Bi,
  210Po, residual 11C), and the three shape parameters (210Po quenched energy and width, 11C annihilation
  offset),

to the TFC-subtracted open-data spectrum in the detector's window. It prints chi^2/ndf (Poisson
deviance and Pearson), the fitted rates (cpd/100 t, before the TFC veto) next to Borexino's measured
interaction rates, the 7Be-shoulder check (shift of the 7Be template preferred by the data), and writes
``docs/figures/borexino_spectrum.png``. With ``--write-model`` it stores the fitted nominal rates and
shape parameters in ``detectors/data/borexino_phase2_model.csv`` (the detector's nominal background).

Run: ``python scripts/borexino_open_data_fit.py [--write-model] [--window LO:HI] [--hits N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from iminuit import Minuit

ROOT = Path(__file__).resolve().parents[1]

SCALE_PARAMS = ("energy_scale", "resolution_scale")
SHAPE_PARAMS = ("po210_energy_MeV", "po210_width_factor", "c11_annihilation_MeV", "po210_tail_MeV")
SM_GROUPS = {
    "pp": ("pp",),
    "pep": ("pep",),
    "7Be": ("7Be_384", "7Be_861"),
    "CNO": ("13N", "15O", "17F"),
}
SM_FIXED = ("8B", "hep")
#: B16-GS98 relative 1-sigma flux uncertainties (Vinyoles et al. 2017 Table 6; physics.md Sec. 5.1) used as
#: Gaussian constraints on the SM scale factors with --ssm (CNO: the 15O value).
SSM_UNCERTAINTY = {"pp": 0.006, "pep": 0.01, "7Be": 0.06, "CNO": 0.17}
#: Borexino Phase-II measured interaction rates [cpd/100 t] (PRD 100 (2019) 082004 abstract; reference copy
#: data/borexino_phase2_rates.csv): value, stat, (sys+ + |sys-|)/2; used with --measured.
MEASURED = {"pp": (134.0, 10.0, 8.0), "7Be": (48.3, 1.1, 0.55), "pep": (2.43, 0.36, 0.185)}


def deviance(n, mu):
    """Poisson deviance 2 sum(mu - n + n ln(n/mu)) (the chi^2 of a Poisson fit)."""
    mu = np.maximum(mu, 1e-300)
    term = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0) / mu), 0.0)
    return float(2.0 * np.sum(mu - n + term))


class BorexinoFit:
    """Binned Poisson fit of the Borexino model to the open data; see the module docstring."""

    def __init__(self, det, free_scale=True, ssm=False, measured=False):
        self.det = det
        self.settings = dict(det.settings)
        self.n = det.observed()
        self.free_scale = free_scale
        self.ssm = ssm or measured
        self.constraints = {g: (1.0, SSM_UNCERTAINTY[g]) for g in SM_GROUPS}
        if measured:
            full = det.rates.sm_counts(np.array([1e-6, 20.0]))[:, 0] * 100.0 / 365.25  # cpd/100 t, all T
            names = list(det.rates.component_names)
            for g, (val, stat, sys_) in MEASURED.items():
                pred = sum(full[names.index(c)] for c in SM_GROUPS[g])
                self.constraints[g] = (val / pred, np.hypot(stat, sys_) / pred)
        self.exposure_tfc = det._exposure_100t_d * det._tfc_fraction
        self.bkg_names = [b.name for b in det.backgrounds()]
        self.nominal = {k: det._model(k) for k in (*SCALE_PARAMS, *SHAPE_PARAMS)}
        self.start_rates = {name: det._model(f"rate_{name}_cpd_100t") for name in self.bkg_names}
        self._cache_key = None

    def _detector(self, g, r):
        from detectors import get_detector

        s = {**self.settings, "energy_scale": g, "resolution_scale": r}
        return get_detector("borexino", **s)

    def components(self, g, r, shape):
        """Counts per bin of every component for unit scale factors."""
        key = (g, r)
        if key != self._cache_key:
            det = self._detector(g, r)
            sm = det.sm_counts_by_component()
            self._sm = {grp: sum(sm[c] for c in comps) for grp, comps in SM_GROUPS.items()}
            self._sm_fixed = sum(sm[c] for c in SM_FIXED)
            self._det_gr = det
            self._cache_key = key
        b = self._det_gr.background_shapes(**shape)
        comps = dict(self._sm)
        for name in self.bkg_names:
            comps[name] = b[name] * self.start_rates[name]
        return comps, self._sm_fixed

    def fit(self):
        names = list(SM_GROUPS) + self.bkg_names
        nl = [*SCALE_PARAMS, *SHAPE_PARAMS]

        def model(*p):
            scales = p[: len(names)]
            q = dict(zip(nl, p[len(names) :], strict=True))
            comps, fixed = self.components(
                q["energy_scale"], q["resolution_scale"], {k: q[k] for k in SHAPE_PARAMS}
            )
            mu = fixed.copy()
            for s, name in zip(scales, names, strict=True):
                mu = mu + s * comps[name]
            return mu, comps, fixed

        def penalty(p):
            if not self.ssm:
                return 0.0
            return sum(
                ((p[i] - self.constraints[g][0]) / self.constraints[g][1]) ** 2
                for i, g in enumerate(SM_GROUPS)
            )

        def cost(*p):
            return deviance(self.n, model(*p)[0]) + penalty(p)

        p0 = [1.0] * len(names) + [self.nominal[k] for k in nl]
        m = Minuit(cost, *p0, name=[*names, *nl])
        m.errordef = Minuit.LEAST_SQUARES
        for name in names:
            m.limits[name] = (0.0, None)
        m.limits["energy_scale"] = (0.9, 1.1)
        m.limits["resolution_scale"] = (0.6, 1.6)
        m.limits["po210_energy_MeV"] = (0.35, 0.55)
        m.limits["po210_width_factor"] = (0.5, 2.0)
        m.limits["c11_annihilation_MeV"] = (0.5, 1.1)
        m.limits["po210_tail_MeV"] = (0.0, 0.05)
        if not self.free_scale:  # the release's energy axis taken literally
            m.values["energy_scale"] = 1.0
            m.values["resolution_scale"] = 1.0
            m.fixed["energy_scale"] = True
            m.fixed["resolution_scale"] = True
        m.migrad()
        m.migrad()
        m.hesse()
        best = dict(zip(m.parameters, m.values, strict=True))
        mu, comps, fixed = model(*m.values)
        self.minuit, self.names, self.best, self.mu = m, names, best, mu
        self.parts = {name: best[name] * comps[name] for name in names}
        self.parts["8B+hep"] = fixed
        n_free = sum(not m.fixed[p] for p in m.parameters)
        self.ndf = self.n.size - n_free
        self.chi2 = deviance(self.n, mu)
        self.penalty = penalty(list(m.values))
        if self.ssm:
            self.ndf += len(SM_GROUPS)  # the constraints are measurements
        self.pearson = float(np.sum((self.n - mu) ** 2 / mu))
        return self

    def be7_shift_scan(self, shifts_keV, lo=0.55, hi=0.80):
        """Deviance in [lo, hi] MeV when only the fitted 7Be component is moved by ``delta`` keV."""
        det = self._detector(self.best["energy_scale"], self.best["resolution_scale"])
        edges = det.analysis_edges_MeV()
        centres = 0.5 * (edges[1:] + edges[:-1])
        sel = (centres > lo) & (centres < hi)
        rest = self.mu - self.parts["7Be"]
        out = []
        for d in shifts_keV:
            shifted = det.sm_counts_by_component(edges - d * 1e-3)
            b = (shifted["7Be_384"] + shifted["7Be_861"]) * self.best["7Be"]
            out.append(deviance(self.n[sel], (rest + b)[sel]))
        return np.array(out)


def plot(fit, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    det = fit.det
    edges = det.analysis_edges_MeV() * 1e3
    width = np.diff(edges)
    x = 0.5 * (edges[1:] + edges[:-1])
    norm = 1.0 / (fit.exposure_tfc * width)  # counts -> cpd/100t/keV
    fig, (ax, axr) = plt.subplots(
        2, 1, figsize=(8, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05}
    )
    ax.errorbar(
        x, fit.n * norm, yerr=np.sqrt(fit.n) * norm, fmt="k.", ms=3, label="Borexino Phase-II open data"
    )
    ax.step(
        edges,
        np.append(fit.mu, fit.mu[-1]) * norm[[*range(len(x)), -1]],
        where="post",
        color="C3",
        lw=1.5,
        label=f"nugen fit, $\\chi^2$/ndf = {fit.chi2:.1f}/{fit.ndf}",
    )
    style = {
        "pp": "C0",
        "pep": "C1",
        "7Be": "C2",
        "CNO": "C4",
        "85Kr": "C5",
        "210Bi": "C6",
        "210Po": "C7",
        "11C": "C8",
        "14C-pileup": "C9",
        "14C": "C9",
        "8B+hep": "k",
    }
    for name, part in fit.parts.items():
        if part.sum() < 1:
            continue
        ls = "-" if name in SM_GROUPS or name == "8B+hep" else "--"
        ax.plot(x, part * norm, ls, color=style.get(name, "grey"), lw=1, label=name)
    g = fit.best["energy_scale"]
    ax.axvline(664.25 * g, color="C2", ls=":", lw=0.8)
    ax.text(
        664.25 * g + 6,
        2e-4,
        f"7Be Compton edge: $T_{{max}}$ = 664 keV, observed at g $T_{{max}}$ = "
        f"{664.25 * g:.0f} keV (g = {g:.3f})",
        color="C2",
        fontsize=7,
        rotation=90,
    )
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 20)
    ax.set_ylabel("events / (day 100 t keV)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Borexino Phase-II, TFC-subtracted (Nature 2018 Fig. 2a data) vs nugen", fontsize=9)
    pull = (fit.n - fit.mu) / np.sqrt(fit.mu)
    axr.axhline(0, color="grey", lw=0.8)
    axr.plot(x, pull, "k.", ms=3)
    axr.set_ylabel("(data - fit)/$\\sqrt{fit}$")
    axr.set_xlabel("electron-equivalent energy [keV]")
    fig.savefig(path, dpi=120, bbox_inches="tight")


def write_model(fit, path):
    lines = [line for line in Path(path).read_text().splitlines() if line.startswith("#")]
    lines.append("parameter,value,unit,source")
    src = f"nugen fit to the open data {fit.det._edges_keV[0]:.0f}-{fit.det._edges_keV[-1]:.0f} keV" + (
        " with pp/7Be/pep constrained to Borexino's measured rates" if fit.ssm else ""
    )
    for name in ("14C", "14C-pileup", "85Kr", "210Bi", "210Po", "11C"):
        if name in fit.bkg_names:
            val = fit.best[name] * fit.start_rates[name]
            lines.append(f"rate_{name}_cpd_100t,{val:.6g},cpd/100t,{src}")
        else:
            val = fit.det._model(f"rate_{name}_cpd_100t")
            lines.append(f"rate_{name}_cpd_100t,{val:.6g},cpd/100t,not constrained in the window (kept)")
    units = {
        "po210_energy_MeV": "MeV",
        "po210_width_factor": "1",
        "c11_annihilation_MeV": "MeV",
        "po210_tail_MeV": "MeV",
        "energy_scale": "1",
        "resolution_scale": "1",
    }
    for k in (*SCALE_PARAMS, *SHAPE_PARAMS):
        lines.append(f"{k},{fit.best[k]:.6g},{units[k]},{src}")
    Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(ROOT))
    from detectors import get_detector

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", default=None, help="LO:HI in keV (default: the detector's)")
    ap.add_argument("--hits", type=int, default=None, help="N_h hits per analysis bin")
    ap.add_argument("--write-model", action="store_true")
    ap.add_argument(
        "--measured", action="store_true", help="constrain pp, 7Be, pep to Borexino's measured rates"
    )
    ap.add_argument(
        "--ssm", action="store_true", help="constrain pp, pep, 7Be, CNO to B16-GS98 +- its errors"
    )
    ap.add_argument(
        "--fixed-scale",
        action="store_true",
        help="fix energy and resolution scales at 1 (release axis as is)",
    )
    ap.add_argument("--plot", default=str(ROOT / "docs" / "figures" / "borexino_spectrum.png"))
    args = ap.parse_args(argv)
    settings = {}
    if args.window:
        lo, hi = args.window.split(":")
        settings.update(e_min_keV=float(lo), e_max_keV=float(hi))
    if args.hits:
        settings["hits_per_bin"] = args.hits
    det = get_detector("borexino", **settings)
    fit = BorexinoFit(det, free_scale=not args.fixed_scale, ssm=args.ssm, measured=args.measured).fit()
    print(
        "SM constraints (centre, width):",
        {g: tuple(round(v, 4) for v in c) for g, c in fit.constraints.items()},
    )
    print(
        f"window {det._edges_keV[0]:.1f}-{det._edges_keV[-1]:.1f} keV, {fit.n.size} bins, "
        f"{int(fit.n.sum())} events"
    )
    print(
        f"Poisson deviance chi2/ndf = {fit.chi2:.1f}/{fit.ndf} = {fit.chi2 / fit.ndf:.3f}; "
        f"Pearson {fit.pearson:.1f}; SSM penalty {fit.penalty:.2f}"
    )
    for k in fit.names + list(SCALE_PARAMS) + list(SHAPE_PARAMS):
        print(f"  {k:22s} {fit.best[k]:.5g} +- {fit.minuit.errors[k]:.3g}")
    shifts = np.arange(-30, 31, 2.0)
    scan = fit.be7_shift_scan(shifts)
    i = int(np.argmin(scan))
    print(
        f"7Be shoulder: best shift of the 7Be template {shifts[i]:+.0f} keV "
        f"(deviance at 0: {scan[shifts == 0][0]:.1f}, min {scan[i]:.1f})"
    )
    if args.plot:
        plot(fit, args.plot)
        print(f"wrote {args.plot}")
    if args.write_model:
        write_model(fit, ROOT / "detectors" / "data" / "borexino_phase2_model.csv")
        print("wrote detectors/data/borexino_phase2_model.csv")
    return fit


if __name__ == "__main__":
    main()
