"""HepMC3 output (nugen.hepmc): read the files back with pyhepmc and check them against the columns.

Tolerances, once for the whole file:

* four-momentum balance at a vertex, computed from the particles read back: 1e-12 of the summed incoming
  energy. The columns conserve four-momentum to a few ulps (1.1e-16 each) of the largest energy at the
  vertex (physics: ``p_N = k + p_X - p_X'`` and ``p_nu = p_N - p_gamma`` are built by subtraction), the
  target mass is reconstructed with one more rounding, and the text keeps 17 significant digits, which
  round-trips doubles exactly; 1e-12 leaves a factor ~1e3 of headroom and still catches any misplaced
  momentum (the smallest recoil kinetic energies are ~1e-4 MeV against incoming energies <= 2e5 MeV);
* momenta, energies, weights and vertex positions against the columns: exact for the values written
  with 17 digits, 1e-15 relative for the mm conversion and vertex time (one or two roundings);
* double attributes: 1e-14 relative (HepMC3 prints them with 15 significant digits);
* summed weights against the ROOT writer on the same chunks: identical (both add the chunk sums in the
  same order); the sum of the weights read back: 1e-12 relative (a different order of ~1e3 additions);
* NuHepMC ``lab_pos`` (HepMC3 prints vector attributes with 6 decimals): 1e-6 absolute (mm, s);
* the flux-averaged total cross section recomputed from literature inputs (``FATX_REL``): 1e-5 relative
  for the Sun on xenon (same atomic weight and solar fluxes as nugen's tables, other arithmetic), 1e-3 for
  the CHARM-II beam (its flux integrals are quoted to 4 digits).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from nugen import DipolePortal
from nugen.errors import InvalidParameterError
from nugen.generator import N_PDG, PROCESS_CODES, Generator
from nugen.hepmc import (
    STATUS_DECAYED,
    STATUS_FINAL,
    STATUS_INCOMING,
    STATUS_TARGET,
    VERTEX_DECAY,
    VERTEX_PRIMARY,
    WEIGHT_NAME,
    write_hepmc,
)
from nugen.io import read_events, write_events
from nugen.sources import get_source
from nugen.targets import get_target

BALANCE = 1e-12
CONVERSION = 1e-15
ATTRIBUTE = 1e-14

#: name: (source, target, model, process, scatterer, site)
CASES = {
    # electrons and nuclei, dipole (decaying N) and SM, Dirac N
    "xenon_all": ("solar", "xenon", DipolePortal(0.1, 3e-11), "all", "both", None),
    # neutrinos from the Sun's direction (rotated momenta and vertices), Majorana N
    "xenon_site_majorana": (
        "solar",
        "xenon",
        DipolePortal(0.1, 3e-11, nature="majorana"),
        "all",
        "electron",
        "lngs",
    ),
    # GeV beam with antineutrinos (Dirac Nbar), heavy nuclei recoils
    "glass_charm2": ("charm2", "glass", DipolePortal(10.0, 1e-8), "all", "both", None),
    # massless N: no decay, N is final
    "massless": ("solar", "xenon", DipolePortal(0.0, 2e-11), "dipole", "electron", None),
}
N_EVENTS = 700
CHUNK = 300  # three chunks: 300, 300, 100


@pytest.fixture(scope="module")
def pyhepmc():
    return pytest.importorskip("pyhepmc", minversion="2.13")


def make_sample(name):
    source, target, model, process, scatterer, site = CASES[name]
    gen = Generator(get_source(source), get_target(target), model, process=process, scatterer=scatterer,
                    site=site)  # fmt: skip
    chunks = [c for c, _ in gen.iter_chunks(N_EVENTS, seed=11, chunk_size=CHUNK)]
    meta = {"nugen_version": "test", **gen.describe(), "seed": 2**90 + 11,
            "normalisation": {"statement": "summed weights = expected events in 1 t yr"}}  # fmt: skip
    return gen, chunks, meta


@pytest.fixture(scope="module", params=sorted(CASES))
def written(request, pyhepmc, tmp_path_factory):
    gen, chunks, meta = make_sample(request.param)
    folder = tmp_path_factory.mktemp(request.param)
    seen = []
    summary = write_hepmc(folder / "s.hepmc3", iter(chunks), meta, on_chunk=seen.append)
    root = write_events(folder / "s.root", iter(chunks), meta)
    with pyhepmc.open(folder / "s.hepmc3") as f:
        events = list(f)
    cols = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    return {"name": request.param, "gen": gen, "meta": meta, "summary": summary, "root": root,
            "events": events, "cols": cols, "seen": seen, "folder": folder}  # fmt: skip


EPXYZ = ("E", "px", "py", "pz")


def four(p):
    m = p.momentum
    return np.array([m.e, m.px, m.py, m.pz])


def parsed(attrs, key, typ):
    """Attribute ``key`` as ``typ``: pyhepmc parses an attribute once (``astype``), later reads get the value,
    and the module-scoped events are read by several tests."""
    value = attrs[key]
    return value.astype(typ) if hasattr(value, "astype") else value


def test_count_weights_and_summary_match_the_root_writer(written):
    events, summary, root = written["events"], written["summary"], written["root"]
    assert len(events) == N_EVENTS == summary["n_events"] == root["n_events"]
    assert written["seen"] == [300, 300, 100]
    assert summary["sum_weights"] == root["sum_weights"]  # same chunk sums in the same order
    w = np.array([ev.weights[0] for ev in events])
    np.testing.assert_array_equal(w, written["cols"]["weight"])  # 22 digits in the file: exact
    assert math.fsum(w) == pytest.approx(root["sum_weights"], rel=1e-12)
    assert math.fsum(w) == pytest.approx(written["gen"].total_rate, rel=1e-12)
    _, root_meta = read_events(written["folder"] / "s.root", ["weight"])
    assert root_meta["sum_weights"] == summary["sum_weights"]
    for key in ("model", "seed", "normalisation", "process"):
        assert summary[key] == root[key]
    assert summary["format"] == "nugen-hepmc3/1"


def test_units_numbers_weight_names_and_run_info(written, pyhepmc):
    events, meta = written["events"], written["meta"]
    assert [ev.event_number for ev in events] == list(range(N_EVENTS))
    ev = events[0]
    assert ev.momentum_unit == pyhepmc.Units.MEV and ev.length_unit == pyhepmc.Units.MM
    assert ev.weight_names == [WEIGHT_NAME] == ["CV"]
    ri = ev.run_info
    assert [(t.name, t.version) for t in ri.tools] == [("nugen", "test")]
    attrs = ri.attributes
    assert json.loads(parsed(attrs, "nugen.meta", str)) == meta
    assert json.loads(parsed(attrs, "nugen.model", str)) == meta["model"]
    assert parsed(attrs, "nugen.seed", str) == str(2**90 + 11)
    assert parsed(attrs, "nugen.normalisation", str) == "summed weights = expected events in 1 t yr"
    for code, name in ((0, "dipole_e"), (3, "cevns")):
        assert parsed(attrs, f"NuHepMC.ProcessInfo[{code}].Name", str) == name
    assert parsed(attrs, f"NuHepMC.VertexStatusInfo[{VERTEX_DECAY}].Name", str) == "NDecayVertex"


def test_pdg_codes_statuses_and_kinematics_against_the_columns(written):
    cols, events = written["cols"], written["events"]
    majorana = written["meta"]["model"]["nature"] == "majorana"
    dipole_codes = {PROCESS_CODES["dipole_e"], PROCESS_CODES["dipole_A"]}
    n_decays = 0
    for i, ev in enumerate(events):
        primary = [v for v in ev.vertices if v.status == VERTEX_PRIMARY]
        assert len(primary) == 1
        (vtx,) = primary
        assert (vtx.position.x, vtx.position.y, vtx.position.z, vtx.position.t) == (0, 0, 0, 0)
        beam, target = vtx.particles_in
        for p in (beam, target):  # no production vertex (HepMC3 reports the event's root vertex, id 0)
            assert p.production_vertex is None or p.production_vertex.id == 0
        assert (beam.pid, beam.status) == (cols["nu_pdg"][i], STATUS_INCOMING)
        assert (target.pid, target.status) == (cols["target_pdg"][i], STATUS_TARGET)
        assert abs(beam.pid) in (12, 14, 16)
        assert target.pid == 11 or 1_000_000_000 < target.pid < 1_001_000_000
        assert target.momentum.px == target.momentum.py == target.momentum.pz == 0.0  # at rest
        out, recoil = vtx.particles_out
        assert (recoil.pid, recoil.status) == (target.pid, STATUS_FINAL)
        np.testing.assert_array_equal(four(recoil), [cols[f"recoil_{c}_MeV"][i] for c in EPXYZ])
        np.testing.assert_array_equal(four(out), [cols[f"N_{c}_MeV"][i] for c in EPXYZ])
        dipole = cols["process"][i] in dipole_codes
        if dipole:
            sign = 1 if majorana else int(np.sign(beam.pid))
            assert out.pid == sign * N_PDG
            assert out.generated_mass == written["meta"]["model"]["mass_MeV"]
        else:
            assert out.pid == beam.pid and out.generated_mass == 0.0
        attrs = ev.attributes
        assert parsed(attrs, "signal_process_id", int) == parsed(attrs, "ProcID", int) == cols["process"][i]
        assert parsed(attrs, "P_e", float) == pytest.approx(cols["P_e"][i], rel=ATTRIBUTE)
        assert parsed(attrs, "Er_keV", float) == pytest.approx(cols["Er_keV"][i], rel=ATTRIBUTE)
        assert ("N_lambda_cm" in attrs) == bool(np.isfinite(cols["N_lambda_cm"][i]))
        decays = np.isfinite(cols["N_decay_x_cm"][i])
        assert len(ev.vertices) == (2 if decays else 1)
        assert len(ev.particles) == (6 if decays else 4)
        if not decays:
            assert out.status == STATUS_FINAL and out.end_vertex is None
            continue
        n_decays += 1
        assert dipole and out.status == STATUS_DECAYED
        end = out.end_vertex
        assert end.status == VERTEX_DECAY
        gamma, nu = end.particles_out
        assert (gamma.pid, gamma.status, nu.pid, nu.status) == (22, STATUS_FINAL, beam.pid, STATUS_FINAL)
        assert gamma.generated_mass == nu.generated_mass == 0.0
        np.testing.assert_array_equal(four(gamma), [cols[f"gamma_{c}_MeV"][i] for c in EPXYZ])
        pos = end.position
        x_mm = np.array([cols[f"N_decay_{c}_cm"][i] for c in "xyz"]) * 10.0
        np.testing.assert_allclose([pos.x, pos.y, pos.z], x_mm, rtol=CONVERSION)
        p_N = np.linalg.norm(four(out)[1:])
        assert pos.t == pytest.approx(np.linalg.norm(x_mm) * out.momentum.e / p_N, rel=CONVERSION)
        assert pos.t >= np.linalg.norm([pos.x, pos.y, pos.z])  # causal: beta <= 1
    expect = int(np.count_nonzero(np.isfinite(cols["N_decay_x_cm"])))
    assert n_decays == expect
    if written["name"] == "massless":
        assert n_decays == 0
    else:
        assert n_decays > 0
    if written["name"] == "glass_charm2":  # antineutrinos make Dirac Nbar
        assert any(p.pid == -N_PDG for ev in events for p in ev.particles)


def test_four_momentum_balances_at_every_vertex(written):
    worst = 0.0
    for ev in written["events"]:
        for vtx in ev.vertices:
            p_in = sum(four(p) for p in vtx.particles_in)
            p_out = sum(four(p) for p in vtx.particles_out)
            assert len(vtx.particles_in) in (1, 2) and len(vtx.particles_out) == 2
            scale = p_in[0]
            worst = max(worst, float(np.max(np.abs(p_in - p_out))) / scale)
    assert worst <= BALANCE, worst


@pytest.mark.parametrize("written", ["xenon_site_majorana"], indirect=True)
def test_site_rotates_the_beam(written):
    cols = written["cols"]
    for i, ev in enumerate(written["events"][:50]):
        beam = next(p for p in ev.particles if p.status == STATUS_INCOMING and abs(p.pid) in (12, 14, 16))
        d = np.array([cols[f"nu_dir_{c}"][i] for c in "xyz"])
        np.testing.assert_allclose(four(beam)[1:], cols["E_nu_MeV"][i] * d, rtol=CONVERSION, atol=0)
        t = parsed(ev.attributes, "time_unix_s", float)
        assert t == pytest.approx(cols["time_unix_s"][i], rel=ATTRIBUTE)


def test_a_failed_write_leaves_no_file(pyhepmc, tmp_path):
    _, chunks, meta = make_sample("massless")

    def broken():
        yield chunks[0]
        msg = "generator died"
        raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="generator died"):
        write_hepmc(tmp_path / "x.hepmc3", broken(), meta)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidParameterError, match="no events"):
        write_hepmc(tmp_path / "x.hepmc3", iter([]), meta)
    with pytest.raises(InvalidParameterError, match="weight"):
        write_hepmc(tmp_path / "x.hepmc3", [{k: v for k, v in chunks[0].items() if k != "weight"}], meta)
    with pytest.raises(InvalidParameterError, match="differ in their columns"):
        write_hepmc(tmp_path / "x.hepmc3", [chunks[0], {**chunks[1], "extra": chunks[1]["weight"]}], meta)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "x.hepmc3").write_text("old")
    with pytest.raises(InvalidParameterError, match="exists"):
        write_hepmc(tmp_path / "x.hepmc3", chunks, meta)
    assert (tmp_path / "x.hepmc3").read_text() == "old"
    write_hepmc(tmp_path / "x.hepmc3", chunks, meta, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["x.hepmc3"]


def test_without_pyhepmc_the_writer_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyhepmc", None)  # makes "import pyhepmc" raise ImportError
    with pytest.raises(InvalidParameterError) as info:
        write_hepmc(tmp_path / "x.hepmc3", iter([]), {})
    msg = str(info.value)
    assert "pip install 'nugen[hepmc]'" in msg and "\n" not in msg
    assert list(tmp_path.iterdir()) == []


def test_importing_the_module_does_not_import_pyhepmc():
    code = (
        "import sys; sys.modules['pyhepmc'] = None; import nugen.hepmc as h; "
        "print(callable(h.write_hepmc), sys.modules['pyhepmc'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "None"]


# -- NuHepMC 1.0.0 (github.com/NuHepMC/Spec README; Gardiner, Isaacson, Pickering et al., arXiv:2310.13211) --

#: Inputs of the flux-averaged cross section taken from the literature, not from nugen's code:
#: Avogadro's number (SI, exact), the Julian year, IUPAC standard atomic weights [g/mol], the B16-GS98
#: solar fluxes [cm^-2 s^-1] (Vinyoles et al., ApJ 835 (2017) 202, Table 6: pp, pep, hep, 7Be, 8B, 13N,
#: 15O, 17F) and the integrals of the CHARM-II flux tables [cm^-2 POT^-1] quoted to 4 digits in the
#: provenance of the tables (nu_mu + nubar_mu in nu_mu mode, and in nubar_mu mode).
AVOGADRO = 6.02214076e23
JULIAN_YEAR_S = 365.25 * 86400.0
ATOMS_PER_TONNE = {"xenon": AVOGADRO * 1e6 / 131.293, "glass": 3 * AVOGADRO * 1e6 / (28.085 + 2 * 15.999)}
FLUX = {
    "solar": (5.98e10 + 1.44e8 + 7.98e3 + 4.93e9 + 5.46e6 + 2.78e8 + 2.05e8 + 5.29e6, JULIAN_YEAR_S),
    "charm2": (7.402e-8 + 4.829e-9, 1.0),
    "charm2 numubar": (6.415e-9 + 4.950e-8, 1.0),
}
#: Tolerance of that recomputation: the literature inputs have 3-4 digits (atomic weights and solar fluxes
#: as nugen's tables: 1e-5; the CHARM-II integrals are rounded to 4 digits: 1e-3).
FATX_REL = {"solar": 1e-5, "charm2": 1e-3}
PB_PER_CM2 = 1e36
SM_CODES = {11, 12, 14, 16, 22}


def run_attr(ri, key, typ):
    """A run attribute as ``typ``."""
    return parsed(ri.attributes, key, typ)


def expected_fatx_pb(sum_w, exposure, source, target):
    """sum of CV weights / (exposure x atoms per tonne x flux x seconds per exposure time unit), in pb."""
    flux, per_unit = FLUX[source]
    return sum_w / exposure / (ATOMS_PER_TONNE[target] * flux * per_unit) * PB_PER_CM2


def test_nuhepmc_run_info_requirements(written):
    """G.R.1-G.R.4 and G.R.6-G.R.11, and the conventions G.C.3, G.C.5, G.S.2, E.C.5 on the run info."""
    events = written["events"]
    ri = events[0].run_info
    assert ri is not None  # G.R.1
    version = [run_attr(ri, f"NuHepMC.Version.{p}", int) for p in ("Major", "Minor", "Patch")]
    assert version == [1, 0, 0]  # G.R.2
    assert written["summary"]["nuhepmc"] == "1.0.0"
    assert all(t.name and t.version for t in ri.tools) and ri.tools[0].name == "nugen"  # G.R.3
    conventions = run_attr(ri, "NuHepMC.Conventions", list[str])  # G.R.4
    site = written["name"] == "xenon_site_majorana"
    assert conventions == ["G.C.2", "G.C.3", "G.C.5", "G.S.2", *(["E.C.5"] if site else [])]
    assert run_attr(ri, "NuHepMC.Units.CrossSection.Unit", str) == "pb"  # G.R.6
    assert run_attr(ri, "NuHepMC.Units.CrossSection.TargetScale", str) == "PerAtom"
    assert ri.weight_names == ["CV"]  # G.R.7: declared once, filled for every event
    assert all(len(ev.weights) == 1 for ev in events)
    ids = run_attr(ri, "NuHepMC.ProcessIDs", list[int])  # G.R.8
    assert sorted(ids) == sorted(PROCESS_CODES.values())
    for code in ids:
        assert run_attr(ri, f"NuHepMC.ProcessInfo[{code}].Name", str)
        assert run_attr(ri, f"NuHepMC.ProcessInfo[{code}].Description", str)
        # G.C.3: arXiv eprint numbers and DOIs of the theory behind each process
        arxiv = run_attr(ri, f"NuHepMC.Citations.Process[{code}].arXiv", list[str]) if code in (0, 1) else []
        doi = run_attr(ri, f"NuHepMC.Citations.Process[{code}].DOI", list[str])
        assert all(re.fullmatch(r"\d{4}\.\d{4,5}", a) for a in arxiv)
        assert doi and all(re.fullmatch(r"10\.\d{4,9}/\S+", x) for x in doi)
    assert {parsed(ev.attributes, "signal_process_id", int) for ev in events} <= set(ids)
    # G.R.9, G.R.10 (and G.S.2): every status in the file is declared, with a name and a description
    for kind, used in (
        ("VertexStatus", {v.status for ev in events for v in ev.vertices}),
        ("ParticleStatus", {p.status for ev in events for p in ev.particles}),
    ):
        declared = set(run_attr(ri, f"NuHepMC.{kind}IDs", list[int]))
        assert used <= declared
        for code in declared:
            assert run_attr(ri, f"NuHepMC.{kind}Info[{code}].Name", str)
            assert run_attr(ri, f"NuHepMC.{kind}Info[{code}].Description", str)
    # G.R.11 (and G.C.5): codes outside the PDG scheme (all but the SM leptons, the photon and the nuclei
    # 10LZZZAAAI) are declared, with unique names and a description
    extra = set(run_attr(ri, "NuHepMC.AdditionalParticleNumbers", list[int]))
    pids = {p.pid for ev in events for p in ev.particles}
    nonstandard = {p for p in pids if abs(p) not in SM_CODES and not 1_000_000_000 < p < 1_100_000_000}
    assert nonstandard <= extra
    assert extra == ({N_PDG} if written["meta"]["model"]["nature"] == "majorana" else {N_PDG, -N_PDG})
    names = [run_attr(ri, f"NuHepMC.AdditionalParticleNumber[{p}].Name", str) for p in extra]
    assert len(set(names)) == len(names) == len(extra) and all(names)
    assert all(run_attr(ri, f"NuHepMC.AdditionalParticleInfo[{p}].Description", str) for p in extra)


def test_nuhepmc_flux_averaged_cross_section(written):
    """G.R.5 via G.C.2: FATX [pb per atom] = sum of the CV weights read back / (exposure x atoms x flux),
    with the atoms and the flux from the literature (not from nugen's tables) and the exposure of the
    sample (1 t yr, or 1 t POT for the beam): the definition int(Phi sigma) / int(Phi)."""
    events, meta = written["events"], written["meta"]
    ri = events[0].run_info
    fatx = run_attr(ri, "NuHepMC.FluxAveragedTotalCrossSection", float)
    sum_w = math.fsum(ev.weights[0] for ev in events)
    source = meta["source"]["name"]
    want = expected_fatx_pb(sum_w, 1.0, source, meta["target"])
    assert fatx == pytest.approx(want, rel=FATX_REL[source])
    assert "NuHepMC.FluxAveragedTotalCrossSectionUncertainty" not in ri.attributes  # a quadrature, no MC
    assert "pb per atom of" in run_attr(ri, "nugen.FluxAveragedTotalCrossSection", str)


def test_beam_mode_is_recorded_and_sets_the_flux_of_the_cross_section(pyhepmc, tmp_path):
    """A Python sample on CHARM-II's antineutrino-mode beam: describe() records the mode, so the FATX
    divides by the nubar_mu-mode flux integral (literature value), not the nu_mu-mode one."""
    gen = Generator(get_source("charm2", mode="numubar"), get_target("glass"), DipolePortal(10.0, 1e-8))
    meta = {"nugen_version": "test", **gen.describe(), "seed": 5}
    assert meta["source"]["mode"] == "numubar"
    chunks = [c for c, _ in gen.iter_chunks(2000, seed=5, chunk_size=1000)]
    write_hepmc(tmp_path / "b.hepmc3", iter(chunks), meta)
    with pyhepmc.open(tmp_path / "b.hepmc3") as f:
        events = list(f)
    fatx = run_attr(events[0].run_info, "NuHepMC.FluxAveragedTotalCrossSection", float)
    want = expected_fatx_pb(math.fsum(ev.weights[0] for ev in events), 1.0, "charm2 numubar", "glass")
    assert fatx == pytest.approx(want, rel=FATX_REL["charm2"])


def test_nuhepmc_event_requirements(written, pyhepmc):
    """E.R.2-E.R.9, V.R.1, P.R.1 and E.C.5 on every event read back."""
    events, cols = written["events"], written["cols"]
    numbers = [ev.event_number for ev in events]
    assert min(numbers) >= 0 and len(set(numbers)) == len(numbers)  # E.R.2
    site = "time_unix_s" in cols
    for i, ev in enumerate(events):
        attrs = ev.attributes
        assert parsed(attrs, "signal_process_id", int) == cols["process"][i]  # E.R.3
        assert ev.momentum_unit == pyhepmc.Units.MEV and ev.length_unit == pyhepmc.Units.MM  # E.R.4
        lab = parsed(attrs, "lab_pos", list[float])  # E.R.5 (mm), E.C.5 (s)
        assert lab[:3] == [0.0, 0.0, 0.0] and len(lab) == (4 if site else 3)
        if site:  # printed with 6 decimals: microseconds
            assert lab[3] == pytest.approx(cols["time_unix_s"][i], abs=1e-6, rel=0)
        statuses = [v.status for v in ev.vertices]
        assert statuses.count(1) == 1 and 0 not in statuses  # E.R.6
        assert all(s == 1 or 21 <= s <= 999 for s in statuses)  # V.R.1
        particles = ev.particles
        beams = [p for p in particles if p.status == STATUS_INCOMING]
        targets = [p for p in particles if p.status == STATUS_TARGET]
        assert len(beams) == len(targets) == 1  # E.R.7
        (beam,), (target,) = beams, targets
        assert abs(beam.pid) in (12, 14, 16) and target.generated_mass > beam.generated_mass
        for p in particles:  # P.R.1, E.R.8: incoming 4 or 20, outgoing 1, decayed 2
            incoming = p.production_vertex is None or p.production_vertex.id == 0
            if incoming:
                assert p.status in (STATUS_INCOMING, STATUS_TARGET)
            elif p.end_vertex is None:
                assert p.status == STATUS_FINAL
            else:
                assert p.status == STATUS_DECAYED
        assert np.all(four(target)[1:] == 0.0)  # E.R.9: lab frame, the target at rest


def test_weighted_sample_fatx_uncertainty_and_lab_position(pyhepmc, tmp_path):
    """A beam detector's weighted sample: FATX from normalisation (expected events / exposure), the beam
    mode from the source's description, the MC uncertainty, and lab_pos = production vertex x 10 mm."""
    _, chunks, _ = make_sample("glass_charm2")
    rng = np.random.default_rng(5)
    sel = []
    for c in chunks:  # a selection that keeps some events with reduced weights, a production vertex
        n = c["weight"].size
        c = {**c, "weight": c["weight"] * rng.uniform(0.0, 1.0, n)}
        for k, scale in (("x", 100.0), ("y", 100.0), ("z", 3000.0)):
            c[f"prod_{k}_cm"] = rng.uniform(-1.0, 1.0, n) * scale
        sel.append(c)
    sum_w = math.fsum(math.fsum(c["weight"]) for c in sel)
    meta = {
        "weighted": True,
        "model": {"mass_MeV": 10.0, "nature": "dirac"},
        "source": {"name": "charm2", "components": ["numu", "numubar"], "mode": "numubar"},
        "target": "glass",
        "normalisation": {"expected_events": sum_w, "exposure": 2.5, "exposure_unit": "t POT",
                          "mc_error_by_process": {"dipole_e": 3.0, "dipole_A": 4.0}},
    }  # fmt: skip
    out = tmp_path / "w.hepmc3"
    assert write_hepmc(out, iter(sel), meta)["nuhepmc"] == "1.0.0"
    with pyhepmc.open(out) as f:
        events = list(f)
    ri = events[0].run_info
    fatx = run_attr(ri, "NuHepMC.FluxAveragedTotalCrossSection", float)
    want = expected_fatx_pb(sum_w, 2.5, "charm2 numubar", "glass")
    assert fatx == pytest.approx(want, rel=FATX_REL["charm2"])
    unc = run_attr(ri, "NuHepMC.FluxAveragedTotalCrossSectionUncertainty", float)
    assert unc == pytest.approx(fatx * 5.0 / sum_w, rel=ATTRIBUTE)  # sqrt(3^2 + 4^2) events
    assert "effective cross section of the selected sample" in run_attr(
        ri, "nugen.FluxAveragedTotalCrossSection", str
    )
    prod = np.concatenate([np.stack([c[f"prod_{k}_cm"] for k in "xyz"], axis=1) for c in sel]) * 10.0
    lab = np.array([parsed(ev.attributes, "lab_pos", list[float]) for ev in events])
    np.testing.assert_allclose(lab, prod, rtol=0, atol=1e-6)  # printed with 6 decimals [mm]


def test_without_the_cross_section_the_file_is_plain_hepmc3(pyhepmc, tmp_path):
    """Metadata that do not give the flux-averaged cross section (G.R.5): the same record, not declared
    NuHepMC, and the reason in the run info; metadata that contradict the source are refused the same way."""
    _, chunks, meta = make_sample("massless")
    cases = {
        "no source": {"bench": True},
        "other components": {**meta, "codes": {**meta["codes"], "component": {"pp": 0}}},
        "exposure unit": {**meta, "exposure_unit": "t POT"},
    }
    for label, bad in cases.items():
        out = tmp_path / f"{label.replace(' ', '_')}.hepmc3"
        assert write_hepmc(out, iter(chunks), bad)["nuhepmc"] is None, label
        with pyhepmc.open(out) as f:
            events = list(f)
        assert len(events) == N_EVENTS
        attrs = events[0].run_info.attributes
        assert "NuHepMC.Version.Major" not in attrs and "NuHepMC.FluxAveragedTotalCrossSection" not in attrs
        assert run_attr(events[0].run_info, "nugen.NuHepMC", str).startswith("not a NuHepMC file"), label
        assert parsed(events[0].attributes, "signal_process_id", int) == chunks[0]["process"][0]


def test_unknown_process_codes_and_bad_lab_positions_are_refused(pyhepmc, tmp_path):
    """E.R.3 needs every process ID declared; E.R.5 a finite position."""
    _, chunks, meta = make_sample("massless")
    bad = {**chunks[0], "process": np.full_like(chunks[0]["process"], 7)}
    with pytest.raises(InvalidParameterError, match=r"process codes \[7\]"):
        write_hepmc(tmp_path / "x.hepmc3", [bad], meta)
    nan = {**chunks[0], **{f"prod_{k}_cm": np.full(CHUNK, np.nan) for k in "xyz"}}
    with pytest.raises(InvalidParameterError, match="finite prod_x_cm"):
        write_hepmc(tmp_path / "x.hepmc3", [nan], meta)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "source", "target", "exposure"),
    [
        (["--target", "xenon", "--mass", "0.1", "--mu", "3e-11", "--exposure", "0.5"], "solar", "xenon", 0.5),
        (
            ["--detector", "charm2", "--weighted", "--set", "charm2.photon_efficiency=1", "--mass", "100",
             "--mu", "1e-8", "--flavour", "mu", "--process", "all", "--events", "200"],
            "charm2",
            "glass",
            None,
        ),
    ],
    ids=["solar_xenon", "charm2_weighted"],
)  # fmt: skip
def test_command_line_files_are_nuhepmc(cli, pyhepmc, tmp_path, argv, source, target, exposure):
    """``nugen generate -o FILE.hepmc3`` declares NuHepMC 1.0.0, and its FATX times atoms, flux and the
    exposure (``--exposure``: ~170 events of 0.5 t yr, or the detector's calibrated exposure in t POT)
    gives the summed CV weights."""
    if "--detector" in argv:
        pytest.importorskip("detectors.charm2")
    out = tmp_path / "s.hepmc3"
    code, _, err = cli("generate", *argv, "--seed", "2", "-q", "-o", out)
    assert code == 0, err
    with pyhepmc.open(out) as f:
        events = list(f)
    ri = events[0].run_info
    assert [run_attr(ri, f"NuHepMC.Version.{p}", int) for p in ("Major", "Minor", "Patch")] == [1, 0, 0]
    meta = json.loads(run_attr(ri, "nugen.meta", str))
    if exposure is None:
        exposure = meta["normalisation"]["exposure"]
        assert meta["normalisation"]["exposure_unit"] == "t POT"
        assert meta["detector_settings"]["beam"] == "numu"  # the flux of FLUX["charm2"]
    sum_w = math.fsum(ev.weights[0] for ev in events)
    fatx = run_attr(ri, "NuHepMC.FluxAveragedTotalCrossSection", float)
    assert fatx == pytest.approx(expected_fatx_pb(sum_w, exposure, source, target), rel=FATX_REL[source])
    has_error = "NuHepMC.FluxAveragedTotalCrossSectionUncertainty" in ri.attributes
    assert has_error == (source == "charm2")  # the weighted sample's Monte Carlo error
