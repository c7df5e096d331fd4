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
  same order); the sum of the weights read back: 1e-12 relative (a different order of ~1e3 additions).
"""

from __future__ import annotations

import json
import math
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
    assert json.loads(attrs["nugen.meta"].astype(str)) == meta
    assert json.loads(attrs["nugen.model"].astype(str)) == meta["model"]
    assert attrs["nugen.seed"].astype(str) == str(2**90 + 11)
    assert attrs["nugen.normalisation"].astype(str) == "summed weights = expected events in 1 t yr"
    for code, name in ((0, "dipole_e"), (3, "cevns")):
        assert attrs[f"NuHepMC.ProcessInfo[{code}].Name"].astype(str) == name
    assert attrs[f"NuHepMC.VertexStatusInfo[{VERTEX_DECAY}].Name"].astype(str) == "NDecayVertex"


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
        assert (target.pid, target.status) == (cols["target_pdg"][i], STATUS_INCOMING)
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
        assert attrs["ProcID"].astype(int) == cols["process"][i]
        assert attrs["P_e"].astype(float) == pytest.approx(cols["P_e"][i], rel=ATTRIBUTE)
        assert attrs["Er_keV"].astype(float) == pytest.approx(cols["Er_keV"][i], rel=ATTRIBUTE)
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
        t = ev.attributes["time_unix_s"].astype(float)
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
