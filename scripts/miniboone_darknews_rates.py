"""MiniBooNE dipole up-scattering rates per POT and channel: nugen vs DarkNews 0.4.8 on its own job.

DarkNews runs its own ``experiment="miniboone_fhc"`` job (818 t CH2 fiducial, C12 and H1 by mass 12/14
and 2/14, 18.75e20 POT, the MiniBooNE_FHC.dat flux, ``erange = [0.1, 9]`` GeV) in a subprocess with the
interpreter of a separate virtual environment (``--darknews``, default ``/tmp/dnvenv/bin/python``); nugen
never imports it. Model on both sides: a Dirac N of mass M_N coupled to nu_mu only by a transition
magnetic moment mu [mu_B]; DarkNews' ``mu_tr_mu4 = mu x 296.304 GeV^-1`` (mu_B = e / (2 m_e) in GeV^-1;
DarkNews' mu_tr is nugen's mu, its internal dipole d = mu_tr / 2: docs/validation.md, CHARM-II
section), ``HNLtype="dirac"``, ``decay_product="photon"``, projectiles nu_mu and nubar_mu, both
helicities. DarkNews' event weights ``w_event_rate`` are up-scattering counts: its decay weights are
divided by their own integral (DarkNews/MC.py), so its N -> nu gamma width (2x low for Dirac, 4x for
Majorana) and its reversed photon angle do not enter these numbers.

nugen: :class:`nugen.rates.RateCalculator` with the ``miniboone`` source (nugen's copy of the same flux)
and the ``mineral_oil`` target, the coherent dipole process per isotope (a one-isotope
:class:`nugen.targets.Material` built from the target's own :class:`~nugen.targets.Nucleus`), integrated
over all recoil energies. Rates are compared per target nucleus per POT (so the 1 % difference between
DarkNews' pure C12 / H1 counts and nugen's natural-isotope CH2 counts drops out) and also shown as events
for the miniboone_fhc exposure. Differences are traced by changing one nugen input at a time: the form
factor (Helm -> the Fourier-Bessel charge density DarkNews uses for C12) and the neutrino-energy range
(the full table -> DarkNews' ``[max(0.1, 1.05 E_threshold), 9]`` GeV). H1 is the free proton with its
Dirac and Pauli form factors (:mod:`nugen.xsec.nucleon`, nugen's default since issue 15), the physics of
DarkNews' "p-el"; its diagnostic column switches the Pauli term off (F1 only, nugen's earlier H1).

Run: ``python scripts/miniboone_darknews_rates.py [--masses 0.03,0.1,0.3,0.6] [--mu 1e-6]
[--neval 200000] [--darknews PYTHON] [--save-darknews DIR | --darknews-cache DIR] [--json FILE]``.
Results: docs/miniboone_darknews.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from nugen.constants import M_PROTON
from nugen.kinematics import threshold_energy
from nugen.model import DipolePortal
from nugen.rates import RateCalculator
from nugen.sources import get_source
from nugen.sources.base import Source
from nugen.targets import Material, get_target
from nugen.xsec import dipole_nucleon_dsigma_dT

#: Bohr magneton e / (2 m_e) [GeV^-1] (physics.md Sec. 0): DarkNews' mu_tr = mu [mu_B] x this.
MU_B_PER_GEV = 296.304
#: The miniboone_fhc experiment file of DarkNews 0.4.8 (include/detectors/miniboone_fhc.txt).
POT = 18.75e20
FIDUCIAL_T = 818.0
ERANGE_GEV = (0.1, 9.0)
#: Recoil-energy range [MeV] integrated by nugen: every kinematically allowed recoil of a <= 10 GeV beam.
T_EDGES_MEV = (1e-12, 2e4)

DN_JOB = textwrap.dedent(
    """\
    import json, logging, sys, time
    logging.disable(logging.CRITICAL)
    import numpy as np
    import DarkNews
    from DarkNews.GenLauncher import GenLauncher
    m4, mu_tr, out = float(sys.argv[1]), float(sys.argv[2]), sys.argv[5]
    neval, nint = int(sys.argv[3]), int(sys.argv[4])
    gen = GenLauncher(mu_tr_mu4=mu_tr, m4=m4, HNLtype="dirac", decay_product="photon",
                      experiment="miniboone_fhc", nu_flavors=["nu_mu", "nu_mu_bar"], neval=neval,
                      nint=nint, neval_warmup=max(neval // 10, 1000), nint_warmup=5, seed=1,
                      loglevel="ERROR", path=out, pandas=False)
    t0 = time.perf_counter()
    df = gen.run(loglevel="ERROR")
    dt = time.perf_counter() - t0
    w = np.asarray(df["w_event_rate"], dtype=float)
    keys = list(zip(df["projectile_pdgid"].to_numpy(), df["target"].astype(str).to_numpy(),
                    df["scattering_regime"].astype(str).to_numpy()))
    ch = {}
    for k in sorted(set(keys)):
        sel = np.array([kk == k for kk in keys])
        ws = w[sel]
        ch["|".join(map(str, k))] = [float(ws.sum()), float(np.sqrt((ws**2).sum())), int(sel.sum())]
    print(json.dumps({"version": DarkNews.__version__, "events": int(len(df)), "run_seconds": dt,
                      "pots": gen.experiment.POTS, "n_targets": gen.experiment.NUMBER_OF_TARGETS,
                      "channels": ch}))
    """
)


#: DarkNews' own MiniBooNE dipole job for the speed comparison (docs/miniboone_darknews.md): defaults of
#: ``GenLauncher`` (nu_mu projectile; coherent on C12, p-el on the protons of C12 and H1; both helicities),
#: photon decays, weighted events, no output file. Arguments: M_N [GeV], mu_tr [GeV^-1], neval, out dir.
DN_SPEED_JOB = textwrap.dedent(
    """\
    import json, logging, sys, time
    logging.disable(logging.CRITICAL)
    import DarkNews
    from DarkNews.GenLauncher import GenLauncher
    m4, mu_tr, neval, out = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    gen = GenLauncher(mu_tr_mu4=mu_tr, m4=m4, HNLtype="dirac", decay_product="photon",
                      experiment="miniboone_fhc", neval=neval, nint=10,
                      neval_warmup=max(neval // 10, 1000), nint_warmup=5, seed=1, loglevel="ERROR",
                      path=out, pandas=False)
    t0 = time.perf_counter()
    df = gen.run(loglevel="ERROR")
    print(json.dumps({"version": DarkNews.__version__, "events": int(len(df)),
                      "run_seconds": time.perf_counter() - t0}))
    """
)


def run_darknews(python: str, mass_GeV: float, mu_muB: float, neval: int, nint: int, folder: Path) -> dict:
    """One DarkNews process: expected up-scatterings per (projectile, target, regime) with MC errors."""
    argv = [python, "-c", DN_JOB, repr(mass_GeV), repr(mu_muB * MU_B_PER_GEV), str(neval), str(nint),
            str(folder / f"dn_{mass_GeV:g}")]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"DarkNews exit {proc.returncode}: {tail}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = time.perf_counter() - t0
    out["mass_GeV"], out["mu_muB"], out["neval"], out["nint"] = mass_GeV, mu_muB, neval, nint
    return out


class EnergyWindow(Source):
    """``source`` with every component's flux cut to neutrino energies in [lo, hi] [MeV] (one input changed).

    Components keep their flux normalisation and pdf; only the support shrinks, so the rates integrate the
    same dPhi/dE over the smaller range (as DarkNews' ``erange`` and its ``1.05 x threshold`` do).
    """

    def __init__(self, source: Source, lo_MeV: float, hi_MeV: float):
        self.source = source
        self.name = f"{source.name}[{lo_MeV:g},{hi_MeV:g}] MeV"
        self.exposure_unit = source.exposure_unit
        comps = []
        for c in source.components:
            lo, hi = max(c.E_min_MeV, lo_MeV), min(c.E_max_MeV, hi_MeV)
            if not lo < hi:
                continue
            bps = tuple(b for b in c.breakpoints_MeV if lo < b < hi)
            comps.append(replace(c, E_min_MeV=lo, E_max_MeV=hi, breakpoints_MeV=bps))
        self.components = tuple(comps)

    def arrival_probabilities(self, component, E_MeV):
        return self.source.arrival_probabilities(component, E_MeV)


class DiracOnlyProtonRates(RateCalculator):
    """nugen's rates with the proton's Pauli term switched off (diagnostic, H1 rows only).

    nugen's H1 cross section is the elastic nucleon one with F1 and F2 (:mod:`nugen.xsec.nucleon`, what
    DarkNews' "p-el" current also has); this replaces it by its ``pauli=False`` version, the point-charge
    formula times F1_p^2 (what nugen had before the nucleon channel), to show the size of the F2 terms.
    """

    def cross_sections(self, process, comp, E, T, M_N, m, Z, A):
        if process.kind == "dipole" and process.scatterer == "nucleus" and (Z, A) == (1, 1):
            s = dipole_nucleon_dsigma_dT(E, T, M_N, "proton", 1.0, m_target=m, pauli=False)
            return np.broadcast_to(s, (3, *s.shape))
        return super().cross_sections(process, comp, E, T, M_N, m, Z, A)


def one_nucleus(target: Material, name: str) -> tuple[Material, float]:
    """A material holding only the isotope ``name`` of ``target``, and that isotope's count per tonne."""
    nuc = next(n for n in target.nuclei if n.name == name)
    mat = Material(f"{target.name}:{name}", f"{name} of {target.name}", 0.0, (nuc,), energy_unit="GeV")
    return mat, nuc.per_tonne


def nugen_per_scatterer(
    source, material, per_tonne, mass_MeV, mu_muB, scatterer, form_factor="helm", calculator=RateCalculator,
    **options,
):  # fmt: skip
    """Up-scatterings per ``per_tonne`` unit (a nucleus) per POT, per component name (all recoil energies)."""
    rc = calculator(source, material, form_factor=form_factor, **options)
    counts = rc.dipole_counts(T_EDGES_MEV, DipolePortal(mass_MeV, mu_muB, flavour="mu"), scatterer)[:, 0]
    return {n: float(v) / per_tonne for n, v in zip(rc.component_names, counts, strict=True)}


def dn_window_MeV(mass_MeV: float, m_target_MeV: float) -> tuple[float, float]:
    """DarkNews' neutrino-energy range [MeV]: [max(0.1 GeV, 1.05 E_threshold), 9 GeV] (DarkNews/MC.py)."""
    e_thr = float(threshold_energy(mass_MeV, m_target_MeV))
    return max(ERANGE_GEV[0] * 1e3, 1.05 * e_thr), ERANGE_GEV[1] * 1e3


def compare(masses_GeV, mu_muB, dn_results: dict[float, dict]) -> list[dict]:
    """Rows of the comparison table (one per mass, channel and beam component)."""
    source, oil = get_source("miniboone"), get_target("mineral_oil")
    rows = []
    comp_pdg = {"numu": 14, "numubar": -14}
    for M in masses_GeV:
        M_MeV = M * 1e3
        dn = dn_results.get(M)
        for iso, dn_target, regime in (("C12", "C12", "coherent"), ("H1", "H1", "p-el")):
            mat, per_t = one_nucleus(oil, iso)
            m_A = mat.nuclei[0].mass_MeV
            base = nugen_per_scatterer(source, mat, per_t, M_MeV, mu_muB, "nucleus")
            win = EnergyWindow(source, *dn_window_MeV(M_MeV, m_A))
            v_win = nugen_per_scatterer(win, mat, per_t, M_MeV, mu_muB, "nucleus")
            # the form-factor change, C12 only: Helm -> DarkNews' Fourier-Bessel charge density. H1 already
            # has DarkNews' physics (F1 and F2 of the dipole parametrisation, nugen.xsec.nucleon): its
            # "both" is the E window alone, and its extra diagnostic switches the Pauli term off
            if iso == "C12":
                v_ff = nugen_per_scatterer(source, mat, per_t, M_MeV, mu_muB, "nucleus", "fourier_bessel")
                v_both = nugen_per_scatterer(win, mat, per_t, M_MeV, mu_muB, "nucleus", "fourier_bessel")
                v_nof2 = None
            else:
                v_ff, v_both = None, v_win
                v_nof2 = nugen_per_scatterer(source, mat, per_t, M_MeV, mu_muB, "nucleus",
                                             calculator=DiracOnlyProtonRates)  # fmt: skip
            for comp, pdg in comp_pdg.items():
                row = {"M_GeV": M, "channel": f"{iso} {'coherent' if iso == 'C12' else '(proton)'}",
                       "component": comp, "nugen_per_nucleus_POT": base[comp],
                       "nugen_events": base[comp] * per_t * FIDUCIAL_T * POT,
                       "form_factor": "Fourier-Bessel" if iso == "C12" else "proton F1, F2",
                       "ratio_window": v_win[comp] / base[comp],
                       "ratio_ff": None if v_ff is None else v_ff[comp] / base[comp],
                       "ratio_no_f2": None if v_nof2 is None else v_nof2[comp] / base[comp],
                       "ratio_both": v_both[comp] / base[comp]}  # fmt: skip
                key = f"{pdg}|{dn_target}|{regime}" if iso == "C12" else f"{pdg}|proton_in_H1|{regime}"
                if dn is not None and key in dn["channels"]:
                    w, err, _ = dn["channels"][key]
                    n_t = dn["n_targets"][dn_target]
                    row["darknews_events"] = w
                    row["darknews_rel_err"] = err / w if w > 0 else float("nan")
                    row["darknews_per_nucleus_POT"] = w / (n_t * dn["pots"])
                    row["ratio"] = base[comp] / row["darknews_per_nucleus_POT"]
                    row["ratio_after_both"] = row["ratio"] * row["ratio_both"]
                rows.append(row)
        # incoherent scattering on the 6 protons of C12 (nugen's opt-in scatterer "nucleon", protons only,
        # no Pauli blocking: DarkNews' p-el on C12); per C12 nucleus. Then nugen only: the 6 neutrons too,
        # and both with the Fermi-gas Pauli suppression
        mat, per_t = one_nucleus(oil, "C12")
        inc = {"incoherent_nucleons": "protons"}
        base = nugen_per_scatterer(source, mat, per_t, M_MeV, mu_muB, "nucleon", **inc)
        win = EnergyWindow(source, *dn_window_MeV(M_MeV, M_PROTON))
        v_win = nugen_per_scatterer(win, mat, per_t, M_MeV, mu_muB, "nucleon", **inc)
        both = nugen_per_scatterer(source, mat, per_t, M_MeV, mu_muB, "nucleon")
        pauli = nugen_per_scatterer(source, mat, per_t, M_MeV, mu_muB, "nucleon", pauli_blocking="fermi_gas")
        for comp, pdg in comp_pdg.items():
            r_win = v_win[comp] / base[comp]
            row = {"M_GeV": M, "channel": "p in C12 (incoherent)", "component": comp,
                   "nugen_per_nucleus_POT": base[comp], "nugen_events": base[comp] * per_t * FIDUCIAL_T * POT,
                   "ratio_window": r_win, "ratio_both": r_win}  # fmt: skip
            key = f"{pdg}|proton_in_C12|p-el"
            if dn is not None and key in dn["channels"]:
                w, err, _ = dn["channels"][key]
                row["darknews_events"] = w
                row["darknews_rel_err"] = err / w
                row["darknews_per_nucleus_POT"] = w / (dn["n_targets"]["C12"] * dn["pots"])
                row["ratio"] = base[comp] / row["darknews_per_nucleus_POT"]
                row["ratio_after_both"] = row["ratio"] * row["ratio_both"]
            rows.append(row)
        for label, vals in (("p + n in C12 (incoherent)", both), ("p + n in C12, Fermi-gas Pauli", pauli)):
            for comp in comp_pdg:
                rows.append({"M_GeV": M, "channel": label, "component": comp,
                             "nugen_per_nucleus_POT": vals[comp],
                             "nugen_events": vals[comp] * per_t * FIDUCIAL_T * POT})  # fmt: skip
        # electrons: nugen only (DarkNews 0.4.8's miniboone_fhc has nuclear targets only)
        rc = RateCalculator(source, oil)
        e = rc.dipole_counts(T_EDGES_MEV, DipolePortal(M_MeV, mu_muB, flavour="mu"), "electron")[:, 0]
        for comp, v in zip(rc.component_names, e, strict=True):
            if comp in comp_pdg:
                rows.append({"M_GeV": M, "channel": "electrons", "component": comp,
                             "nugen_per_nucleus_POT": float(v) / oil.electrons_per_tonne,
                             "nugen_events": float(v) * FIDUCIAL_T * POT})  # fmt: skip
    return rows


def _fmt(v, spec):
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def markdown_table(rows: list[dict], mu_muB: float) -> str:
    head = (
        "| M_N [GeV] | channel | beam | nugen [per POT] | DarkNews [per POT] (MC err) "
        "| nugen / DarkNews per nucleus | x (E window) | x (form factor) | x (no F2) | x (both) "
        "| nugen (both) / DarkNews |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        err = r.get("darknews_rel_err")
        dn = "–" if "darknews_events" not in r else f"{r['darknews_events'] / POT:.4g} ({100 * err:.1f} %)"
        ours = r.get("nugen_events")
        lines.append(
            f"| {r['M_GeV']:g} | {r['channel']} | {r['component']} "
            f"| {_fmt(None if ours is None else ours / POT, '.4g')} | {dn} "
            f"| {_fmt(r.get('ratio'), '.4f')} | {_fmt(r.get('ratio_window'), '.4f')} "
            f"| {_fmt(r.get('ratio_ff'), '.4f')} | {_fmt(r.get('ratio_no_f2'), '.4f')} "
            f"| {_fmt(r.get('ratio_both'), '.4f')} "
            f"| {_fmt(r.get('ratio_after_both'), '.4f')} |"
        )
    lines.append(
        f"\nmu = {mu_muB:g} mu_B (DarkNews mu_tr_mu4 = {mu_muB * MU_B_PER_GEV:.6g} GeV^-1), Dirac, "
        f"nu_mu coupling; events per POT in {FIDUCIAL_T:g} t (x {POT:.4g} POT for the run; "
        "nugen: natural CH2; DarkNews: C12 + H1 by 12/14, 2/14). "
        "'x (...)': nugen with that input changed divided by nugen's default; E window: DarkNews' "
        "[max(0.1, 1.05 E_thr), 9] GeV; form factor: C12 Helm -> Fourier-Bessel (DarkNews' C12 density); "
        "H1 is the elastic proton with F1 and F2 (nugen.xsec.nucleon), 'no F2' its Pauli term off, and its "
        "'both' is the E window alone; 'p in C12': nugen's opt-in incoherent channel on the 6 protons of C12 "
        "(free, at rest, no Pauli blocking, as DarkNews), 'both' = E window; 'p + n': with the 6 neutrons, "
        "'Fermi-gas Pauli': times the Fermi-gas suppression (k_F = 221 MeV)."
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--masses", default="0.03,0.1,0.3,0.6", help="M_N values [GeV], comma-separated")
    ap.add_argument("--mu", type=float, default=1e-6, help="transition moment [mu_B]")
    ap.add_argument("--darknews", default="/tmp/dnvenv/bin/python", metavar="PYTHON")
    ap.add_argument("--neval", type=int, default=200_000, help="DarkNews vegas evaluations per iteration")
    ap.add_argument("--nint", type=int, default=10, help="DarkNews vegas iterations")
    ap.add_argument("--save-darknews", metavar="DIR", help="write each DarkNews result as DIR/dn_<M>.json")
    ap.add_argument("--darknews-cache", metavar="DIR", help="read DarkNews results from DIR/dn_<M>.json")
    ap.add_argument("--no-darknews", action="store_true", help="nugen columns only")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    ap.add_argument(
        "--write-speed-job",
        metavar="FILE",
        help="write DarkNews' MiniBooNE speed job (run it with the DarkNews venv's python) and exit",
    )
    args = ap.parse_args(argv)
    if args.write_speed_job:
        Path(args.write_speed_job).write_text(DN_SPEED_JOB, encoding="utf-8")
        return 0
    masses = [float(v) for v in args.masses.split(",")]
    dn_results: dict[float, dict] = {}
    if not args.no_darknews:
        for M in masses:
            if args.darknews_cache:
                path = Path(args.darknews_cache) / f"dn_{M:g}.json"
                if path.is_file() and path.stat().st_size:
                    dn_results[M] = json.loads(path.read_text().strip().splitlines()[-1])
                    continue
            if not Path(args.darknews).is_file():
                print(f"DarkNews interpreter {args.darknews} not found: nugen columns only", file=sys.stderr)
                break
            folder = Path(args.save_darknews or "/tmp/nugen_miniboone_darknews")
            folder.mkdir(parents=True, exist_ok=True)
            dn_results[M] = run_darknews(args.darknews, M, args.mu, args.neval, args.nint, folder)
            if args.save_darknews:
                (folder / f"dn_{M:g}.json").write_text(json.dumps(dn_results[M]))
    rows = compare(masses, args.mu, dn_results)
    print(markdown_table(rows, args.mu))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
