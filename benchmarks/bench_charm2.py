"""Benchmark (issue 7): CHARM-II event generation vs DarkNews' weighted events on the most similar job.

Job on both sides: nu_mu coherent up-scattering on the CHARM-II glass (Si, O) with a transition magnetic
moment, N -> nu gamma, CHARM-II wide-band nu_mu flux (the same table), M_N = 100 MeV, mu = 3e-9 mu_B, Dirac.

* **nugen**: :meth:`detectors.charm2.CHARM2.generate` with ``processes=("dipole_A",)``: weighted
  events with the full chain -- E_nu, nucleus, recoil, N four-momentum, production vertex, analytic decay
  probability in the fiducial region, forced and free decay vertices, photon four-momentum from the Dirac
  angular distribution, smeared shower energy and the CHARM-II selection -- for both beam components
  (nu_mu and its nubar_mu contamination). Timed after one warm-up call, best of 3.
* **DarkNews** (pip package, run as a subprocess with the interpreter of a separate venv, default
  ``/tmp/dnvenv/bin/python``, override with ``--darknews-python``): ``GenLauncher`` with
  ``mu_tr_mu4 = mu x 296.3 GeV^-1`` (DarkNews' mu_tr equals nugen's mu, physics.md Sec. 1.2),
  ``decay_product="photon"``, coherent only (``nopelastic``), both helicities, a CHARM-II experiment file
  written here (Si28 + O16 by SiO2 mass fractions, ``CHARMII_FHC.dat`` with ``flux_norm = 1e-4`` because
  that table is per m^2 while DarkNews expects per cm^2), ``neval``/``nint`` as below, no output files
  (``pandas=False``); the time of ``GenLauncher.run`` (vegas warm-up + integration + event kinematics)
  divided by the number of weighted events it returns. DarkNews places no vertices for an unknown
  geometry and computes no detector response, so it does less per event than nugen here.

The issue asks for nugen >= 50x DarkNews' weighted-event rate. Run: ``python benchmarks/bench_charm2.py``
(``--quick`` for a short run). Results are recorded in docs/benchmarks.md ("CHARM-II (issue 7)").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))

from machine import machine_note

M_N_MEV = 100.0
MU_MUB = 3e-9
MU_B_PER_GEV = 296.304  # e / (2 m_e) [GeV^-1], physics.md Sec. 0

DN_EXPERIMENT = """\
# CHARM-II glass calorimeter for the nugen benchmark (SiO2: Si28 and O16 by mass)
name = "CHARMII_glass"
fluxfile = "CHARMII_FHC.dat"
flux_norm = 1e-4 # CHARMII_FHC.dat is in nu/m^2/GeV/POT; DarkNews expects nu/cm^2/GeV/POT
erange = [
    2.0,
    200.0
]
nuclear_targets = [
    'Si28',
    'O16'
]
fiducial_mass = {mass}
fiducial_mass_per_target = [
    0.4674 * fiducial_mass,
    0.5326 * fiducial_mass
]
POTs = {pot}
"""

DN_JOB = textwrap.dedent(
    """\
    import json, logging, sys, time
    logging.disable(logging.CRITICAL)
    import DarkNews
    from DarkNews.GenLauncher import GenLauncher
    exp, out = sys.argv[1], sys.argv[6]
    neval, nint, mu, m4 = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    gen = GenLauncher(mu_tr_mu4=mu, m4=m4, HNLtype="dirac", decay_product="photon", experiment=exp,
                      nopelastic=True, neval=neval, nint=nint, neval_warmup=max(neval // 10, 1000),
                      nint_warmup=5, seed=1, loglevel="ERROR", path=out, pandas=False)
    t0 = time.perf_counter()
    df = gen.run(loglevel="ERROR")
    dt = time.perf_counter() - t0
    print(json.dumps({"version": DarkNews.__version__, "events": int(len(df)), "seconds": dt,
                      "sum_w_event_rate": float(df["w_event_rate"].sum())}))
    """
)


def run_nugen(n_events: int, repeat: int) -> dict:
    from detectors import get_detector
    from nugen import DipolePortal

    det = get_detector("charm2", photon_efficiency=1.0)
    model = DipolePortal(M_N_MEV, MU_MUB, flavour="mu")
    det.generate(model, 1000, seed=0, processes=("dipole_A",))  # warm-up
    best = float("inf")
    for i in range(repeat):
        t0 = time.perf_counter()
        ev = det.generate(model, n_events, seed=i + 1, processes=("dipole_A",))
        best = min(best, time.perf_counter() - t0)
    n = len(ev["weight"])
    # all three processes (electron recoils, photons, SM nu e) for the record
    t0 = time.perf_counter()
    allev = det.generate(model, n_events, seed=99)
    t_all = time.perf_counter() - t0
    cal = det.calibration()
    return {
        "events": n,
        "seconds": best,
        "rate": n / best,
        "all_events": len(allev["weight"]),
        "all_rate": len(allev["weight"]) / t_all,
        "production_numu": float(ev["weight_production"][ev["component"] == 0].sum()),
        "exposure": cal,
        "target_mass_t": float(det.settings["target_mass_t"]),
    }


def run_darknews(python: str, neval: int, nint: int, pot: float, mass_t: float) -> dict | None:
    if not Path(python).is_file():
        print(f"DarkNews: interpreter {python} not found -- skipped")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        exp = Path(tmp) / "charm2_glass.txt"
        exp.write_text(DN_EXPERIMENT.format(mass=mass_t, pot=pot), encoding="utf-8")
        args = [python, "-c", DN_JOB, str(exp), str(neval), str(nint), str(MU_MUB * MU_B_PER_GEV),
                str(M_N_MEV / 1000.0), str(Path(tmp) / "out")]  # fmt: skip
        proc = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        print(f"DarkNews: failed ({proc.stderr.strip().splitlines()[-1:]}) -- skipped")
        return None
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["rate"] = out["events"] / out["seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller samples")
    p.add_argument("--darknews-python", default="/tmp/dnvenv/bin/python")
    args = p.parse_args(argv)
    n_events = 100_000 if args.quick else 1_000_000
    neval = 10_000 if args.quick else 100_000
    nint = 10
    print(machine_note())
    ours = run_nugen(n_events, repeat=2 if args.quick else 3)
    cal = ours["exposure"]
    print(
        f"nugen    CHARM-II coherent + N -> nu gamma, full chain: {ours['events']:>9d} weighted events in "
        f"{ours['seconds']:.3f} s = {ours['rate']:.3g} events/s"
    )
    print(
        f"nugen    all three processes (e recoils, photons, SM nu e): {ours['all_events']:>9d} events at "
        f"{ours['all_rate']:.3g} events/s"
    )
    # same exposure: nugen's calibrated POT x efficiency on the whole target mass (where N are produced)
    dn = run_darknews(args.darknews_python, neval, nint, cal["POT_x_efficiency"], ours["target_mass_t"])
    if dn is None:
        return 0
    print(
        f"DarkNews {dn['version']} GenLauncher (neval={neval}, nint={nint}): {dn['events']:>9d} weighted "
        f"events in {dn['seconds']:.2f} s = {dn['rate']:.3g} events/s"
    )
    ratio = ours["rate"] / dn["rate"]
    verdict = "PASS" if ratio >= 50 else "FAIL"
    print(f"speed ratio nugen / DarkNews = {ratio:.0f}x (issue target >= 50x): {verdict}")
    # physics cross-check of the same job: N produced by the nu_mu component (DarkNews: sum of w_event_rate,
    # N -> nu gamma has branching ratio 1; nugen: summed production weights), same exposure
    print(
        f"cross-check, N produced by nu_mu: nugen {ours['production_numu']:.4g}, DarkNews "
        f"{dn['sum_w_event_rate']:.4g} (ratio {ours['production_numu'] / dn['sum_w_event_rate']:.4f}; "
        "Helm vs Fourier-Bessel form factors, natural isotopes vs Si28 + O16)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
