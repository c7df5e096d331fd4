"""``nugen generate --detector charm2 --weighted``: CHARM-II's weighted sample from the command line.

The file is read back with plain uproot and compared with numbers the writer does not produce: the
detector's own expectation (:meth:`detectors.charm2.CHARM2.expected_counts`, a separate fixed-seed Monte
Carlo for the photon channel and numerical integration for the others) and the columns of the Python call
``get_detector("charm2", ...).generate(model, N, seed=S, processes=...)``.

Statistical tolerance: 4 standard deviations of the difference. The sample's error is
``sqrt(sum weight^2)`` per process. The reference photon and electron counts come from the detector's own
importance-sampled Monte Carlo (``n_mc`` = 1e5 events per beam component, fixed seed) with the same
proposal and per-event weights that vary less (decay probability averaged over the production point,
analytic smearing), so its error is at most the sample's error scaled by ``sqrt(N / n_mc)``; the SM count
is the calibrated measured count (exact). With fixed seeds the test is deterministic; 4 sigma keeps it
robust to a change of seed (two-sided false-alarm rate 6e-5).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import uproot

pytest.importorskip("detectors.charm2")

MODEL = ["--mass", "100", "--mu", "1e-8", "--flavour", "mu"]


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def read(path):
    with uproot.open(path) as fh:
        assert fh.classnames()["events;1"] == "TTree"
        return fh["events"].arrays(library="np"), json.loads(str(fh["meta"]))


def test_photon_channel_weights_sum_to_the_detectors_expectation(cli, tmp_path):
    from detectors import get_detector
    from detectors.charm2 import PROCESS_CODES
    from nugen.model import DipolePortal

    n = 20_000
    out = tmp_path / "c2.root"
    code, stdout, err = cli("generate", "--detector", "charm2", "--weighted", "--set",
                            "charm2.photon_efficiency=1", *MODEL, "--process", "all", "--events", str(n),
                            "--seed", "1", "-o", str(out), "-q")  # fmt: skip
    assert code == 0, err
    assert stdout == "" and err == ""
    ev, meta = read(out)
    det = get_detector("charm2", photon_efficiency=1)
    ref = det.expected_counts(DipolePortal(100, 1e-8, flavour="mu"))
    n_mc = int(det.settings["n_mc"])
    for proc, key, ref_error_scale in (
        ("dipole_A", "dipole_photon", np.sqrt(n / n_mc)),
        ("dipole_e", "dipole_electron", np.sqrt(n / n_mc)),
        ("sm_e", "sm_nu", 0.0),
    ):
        w = ev["weight"][ev["process"] == PROCESS_CODES[proc]]
        assert w.size == 2 * n  # N per beam component (nu_mu, nubar_mu)
        sigma = np.sqrt(np.sum(w**2)) * np.sqrt(1.0 + ref_error_scale**2)
        expected = float(np.sum(ref[key]))
        assert abs(w.sum() - expected) < 4 * sigma, (proc, w.sum(), expected, sigma)
    photon = ev["process"] == PROCESS_CODES["dipole_A"]
    assert np.sum(ev["weight"][photon]) > 10 * np.sum(ev["weight"][~photon & (ev["process"] == 0)])
    # metadata: weighted, normalised to the calibrated exposure, codes as in the detector module
    assert meta["sample"] == "weighted" and meta["weighted"] is True
    assert meta["detector"] == "charm2" and meta["process"] == "all" and meta["seed"] == 1
    assert meta["source"] == {"name": "charm2", "components": ["numu", "numubar"], "mode": "numu"}
    assert meta["processes"] == ["dipole_e", "dipole_A", "sm_e"]
    assert meta["codes"]["process"] == PROCESS_CODES
    assert meta["detector_settings"]["photon_efficiency"] == "1.0"
    norm = meta["normalisation"]
    assert norm["weighted"] is True and norm["exposure_unit"] == "t POT"
    assert norm["exposure"] == pytest.approx(det.exposure_t_yr, rel=1e-12)
    assert "expected selected events" in norm["statement"] and "weight_production" in norm["statement"]
    assert meta["n_events"] == 6 * n and meta["sum_weights"] == pytest.approx(ev["weight"].sum(), rel=1e-12)
    assert set(meta["branches"]) == set(ev)


def test_same_seed_same_content_as_the_python_call(cli, tmp_path):
    from detectors import get_detector
    from nugen.model import DipolePortal

    argv = ["generate", "--detector", "charm2", "--weighted", *MODEL, "--events", "1500", "--seed", "5", "-q"]
    files = []
    for name in ("a.root", "b.root", "c.root"):
        seed = ["--seed", "6"] if name == "c.root" else []
        code, _, err = cli(*argv, *seed, "-o", str(tmp_path / name))
        assert code == 0, err
        files.append(read(tmp_path / name))
    (a, ma), (b, mb), (c, _) = files
    assert ma == mb
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert not np.array_equal(a["E_nu_MeV"], c["E_nu_MeV"])  # another seed, other events
    # the file holds exactly the columns of the documented Python route (default --process dipole)
    py = get_detector("charm2").generate(
        DipolePortal(100, 1e-8, flavour="mu"), 1500, seed=5, processes=("dipole_e", "dipole_A")
    )
    assert list(py) == list(a)
    for k, v in py.items():
        np.testing.assert_array_equal(a[k], v, err_msg=k)


def test_default_photon_efficiency_zero_is_said_and_production_kept(cli, tmp_path):
    out = tmp_path / "p.root"
    code, _, err = cli("generate", "--detector", "charm2", "--weighted", *MODEL, "--events", "1000",
                       "--seed", "2", "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert "photon_efficiency=1" in err and "weighted events" in err and str(out) in err
    ev, meta = read(out)
    photon = ev["process"] == 1
    assert np.all(ev["weight"][photon] == 0) and np.sum(ev["weight_production"][photon]) > 0
    assert meta["normalisation"]["expected_events_by_process"]["dipole_A"] == 0


def test_help_shows_the_weighted_route(cli):
    code, out, _ = cli("generate", "--help")
    assert code == 0
    assert "--weighted" in out
    assert "nugen generate --detector charm2 --weighted --set charm2.photon_efficiency=1" in out


def test_hepmc3_output_holds_the_same_events_with_displaced_photon_vertices(cli, tmp_path):
    """The HepMC3 record of the weighted sample: same weights as the ROOT file, the photon channel's
    N -> nu gamma vertex displaced by (forced decay point - production point), four-momentum conserved at
    both vertices (to 1e-12 of the energy: the columns' round-off), struck nuclei of the glass."""
    pyhepmc = pytest.importorskip("pyhepmc")
    from detectors.charm2 import PROCESS_CODES
    from nugen.targets import get_target

    argv = ["generate", "--detector", "charm2", "--weighted", "--set", "charm2.photon_efficiency=1", *MODEL,
            "--process", "all", "--events", "300", "--seed", "3", "-q"]  # fmt: skip
    assert cli(*argv, "-o", str(tmp_path / "w.root"))[0] == 0
    code, _, err = cli(*argv, "-o", str(tmp_path / "w.hepmc3"))
    assert code == 0, err
    cols, _ = read(tmp_path / "w.root")
    with pyhepmc.open(tmp_path / "w.hepmc3") as f:
        events = list(f)
    assert len(events) == cols["weight"].size
    weights = np.array([ev.weights[0] for ev in events])
    np.testing.assert_allclose(weights, cols["weight"], rtol=1e-15, atol=0)
    photon = cols["process"] == PROCESS_CODES["dipole_A"]
    glass = {(x.Z, x.A) for x in get_target("glass").nuclei}
    n_displaced = 0
    for i, ev in enumerate(events):
        pids = {p.pid for p in ev.particles}
        assert cols["nu_pdg"][i] in pids and cols["target_pdg"][i] in pids
        if photon[i]:
            Z, A = (cols["target_pdg"][i] // 10_000) % 1000, (cols["target_pdg"][i] // 10) % 1000
            assert (Z, A) in glass  # 10LZZZAAAI decodes to an isotope of the glass
        else:
            assert cols["target_pdg"][i] == 11
        if len(ev.vertices) == 2:
            n_displaced += 1
            assert photon[i]
            d = np.array([cols[f"decay_{c}_cm"][i] - cols[f"prod_{c}_cm"][i] for c in "xyz"]) * 10.0  # mm
            pos = ev.vertices[1].position
            np.testing.assert_allclose([pos.x, pos.y, pos.z], d, rtol=1e-12, atol=1e-9)
        for vtx in ev.vertices:
            p_in = sum(
                np.array([p.momentum.e, p.momentum.px, p.momentum.py, p.momentum.pz])
                for p in vtx.particles_in
            )
            p_out = sum(
                np.array([p.momentum.e, p.momentum.px, p.momentum.py, p.momentum.pz])
                for p in vtx.particles_out
            )
            assert np.max(np.abs(p_in - p_out)) <= 1e-12 * p_in[0]
    assert n_displaced == np.count_nonzero(photon & np.isfinite(cols["decay_z_cm"])) > 0


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("w.hepmc3", ["--detector", "charm2", "--compression", "lz4:1"], "ROOT output only"),
        ("w.root", ["--target", "glass"], "--weighted needs --detector"),
        ("w.root", ["--detector", "xenon1t"], "detector 'xenon1t' has no weighted event generator"),
        ("w.root", ["--detector", "charm2", "--mass", "1e6"], "beyond the beam's reach"),
        (
            "w.root",
            ["--detector", "charm2", "--exposure", "2"],
            "--exposure cannot be combined with --weighted",
        ),
        ("w.root", ["--detector", "charm2", "--site", "lngs"], "--site cannot be combined with --weighted"),
        (
            "w.root",
            ["--detector", "charm2", "--mass", "100", "--flavour", "e"],
            "every event has zero weight",
        ),
        ("w.root", ["--detector", "charm2", "--set", "charm2.photon_efficiency=2"], "between 0 and 1"),
        ("w.root", ["--detector", "charm2", "--mass", "100", "--mu", "0"], "--mu 0 gives no dipole events"),
        ("w.root", ["--detector", "charm2", "--compression", "gzip"], "unknown compression 'gzip'"),
    ],
)
def test_bad_input_exit_2_one_line_no_file(cli, tmp_path, name, args, message):
    size = [] if "--exposure" in args else ["--events", "500"]  # --events and --exposure exclude each other
    code, stdout, err = cli("generate", "--weighted", *args, *size, "--seed", "1",
                            "-o", str(tmp_path / name))  # fmt: skip
    assert code == 2
    assert stdout == ""
    assert err.count("\n") == 1 and err.startswith("nugen: error:"), err
    assert message in err
    assert listing(tmp_path) == []


def test_a_sample_beyond_the_free_memory_is_refused_before_any_work(cli, tmp_path, monkeypatch):
    import nugen.cli._weighted as weighted

    monkeypatch.setattr(weighted, "available_memory_bytes", lambda: 1e9)  # 1 GB free
    # 1e6 events x 3 processes x 2 beam components x 400 B = 2.4 GB > 0.8 GB
    code, stdout, err = cli("generate", "--detector", "charm2", "--weighted", *MODEL, "--process", "all",
                            "--events", "1e6", "-o", str(tmp_path / "big.root"))  # fmt: skip
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and "needs ~2.4 GB of memory, 1.0 GB are available" in err
    assert listing(tmp_path) == []
    monkeypatch.undo()
    real = weighted.available_memory_bytes()
    assert real is None or real > 0


# -- unweighted (no --weighted): the same sampler, accept/reject of its weights (issue 16) ----------------
def test_unweighted_file_holds_every_channel_in_proportion_to_the_detectors_expectation(cli, tmp_path):
    from detectors import get_detector
    from detectors.charm2 import PROCESS_CODES
    from nugen.model import DipolePortal

    n = 30_000
    out = tmp_path / "u.root"
    code, stdout, err = cli("generate", "--detector", "charm2", "--set", "charm2.photon_efficiency=1", *MODEL,
                            "--process", "all", "--events", str(n), "--seed", "3",
                            "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert stdout == "" and "unweighted selected events" in err and err.count("\n") == 1
    ev, meta = read(out)
    assert meta["sample"] == "unweighted" and meta["weighted"] is False and meta["events"] == n
    assert ev["weight"].size == n and np.all(ev["weight"] == ev["weight"][0]) and np.all(ev["pass_selection"])
    assert "weight_production" not in ev and "weight_production" not in meta["branches"]
    norm = meta["normalisation"]
    assert norm["unweighting"]["missed_rate_fraction"] < 1e-3
    ref = get_detector("charm2", photon_efficiency=1).expected_counts(DipolePortal(100, 1e-8, flavour="mu"))
    total = sum(float(ref[k][0]) for k in ("dipole_electron", "dipole_photon", "sm_nu"))
    # the rate: its own MC error and 2 % of the photon reference (the detector's fixed-seed MC)
    err_total = np.hypot(norm["rate_mc_error"], 0.02 * float(ref["dipole_photon"][0]))
    assert ev["weight"].sum() == pytest.approx(total, abs=4 * err_total)
    for proc, key in (("dipole_A", "dipole_photon"), ("dipole_e", "dipole_electron"), ("sm_e", "sm_nu")):
        frac = np.mean(ev["process"] == PROCESS_CODES[proc])
        want = float(ref[key][0]) / total
        assert frac == pytest.approx(want, abs=4 * np.sqrt(want * (1 - want) / n) + 0.02 * want), key
    # the file holds exactly the Python call of meta["python"]
    py = get_detector("charm2", photon_efficiency=1).generate(
        DipolePortal(100, 1e-8, flavour="mu"), n, seed=meta["seed"], processes=tuple(PROCESS_CODES),
        weighted=False,
    )  # fmt: skip
    for k, v in py.items():
        np.testing.assert_array_equal(ev[k], v, err_msg=k)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exposure", "2"], "--exposure cannot be combined with --detector charm2"),
        (["--mass", "100", "--flavour", "e"], "holds nu_mu only"),
        (["--mass", "100", "--process", "dipole", "--set", "charm2.photon_efficiency=0", "--mass", "460"],
         "photon_efficiency=1 selects the photons"),
    ],
)  # fmt: skip
def test_unweighted_bad_input_exit_2_one_line_no_file(cli, tmp_path, args, message):
    size = [] if "--exposure" in args else ["--events", "200"]
    code, stdout, err = cli("generate", "--detector", "charm2", *args, *size, "--seed", "1",
                            "-o", str(tmp_path / "u.root"))  # fmt: skip
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("nugen: error:"), err
    assert message in err
    assert listing(tmp_path) == []
