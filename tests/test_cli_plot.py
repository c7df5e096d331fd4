"""``nugen plot spectra|limits``: figures written atomically, exit codes and one-line errors (CLI.md)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from fits.cli.plot import output_format, spectrum_components
from nugen.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plot_spectra_png_and_pdf(tmp_path, capsys):
    png = tmp_path / "s.png"
    code, _, err = _run(
        capsys, "plot", "spectra", "--detector", "xenon1t", "--mass", "0.01", "--mu", "5e-11",
        "--flavour", "mu", "-o", str(png),
    )  # fmt: skip
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = tmp_path / "s.pdf"
    code, _, err = _run(capsys, "plot", "spectra", "--detector", "borexino", "--logy", "-q", "-o", str(pdf))
    assert code == 0, err
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert err == ""  # --quiet
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.pdf", "s.png"]


def test_spectrum_components_add_up():
    from detectors import get_detector
    from nugen.model import DipolePortal

    det = get_detector("xenon1t")
    model = DipolePortal(0.01, 5e-11, flavour="mu")
    comps, data = spectrum_components(det, model)
    counts = det.expected_counts(model)
    # XENON1T's B0 contains the SM solar-neutrino rate: the total must not add it again
    assert det.sm_in_background
    np.testing.assert_allclose(comps["total expected"], counts["background"] + counts["dipole"])
    assert any(k.startswith("SM solar") and "contained in background" in k for k in comps)
    np.testing.assert_array_equal(data, det.observed())
    dar = get_detector("darwin")
    comps, data = spectrum_components(dar, model)
    c = dar.expected_counts(model)
    np.testing.assert_allclose(comps["total expected"], c["background"] + c["sm_nu"] + c["dipole"])
    assert data is None


def test_plot_limits_pdf(tmp_path, capsys):
    out = tmp_path / "l.pdf"
    code, _, err = _run(
        capsys, "plot", "limits", "--detector", "xenon1t,darwin", "--masses", "0.01:1:3", "--log",
        "--flavour", "mu", "--set", "xenon1t.tritium=free", "--published", "-q", "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert out.read_bytes()[:5] == b"%PDF-"


def test_plot_limits_fills_the_xenon1t_region_where_it_excludes_mu_zero(tmp_path, capsys):
    out = tmp_path / "plane.png"
    code, _, err = _run(
        capsys, "plot", "limits", "--detector", "xenon1t,borexino", "--masses", "0.01:1:6", "--log",
        "--flavour", "mu", "--region", "0.68,0.9", "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Borexino's data prefer mu = 0: its region adds nothing to its limit curve and is not filled
    assert "borexino region includes mu = 0 at every mass" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["spectra", "--detector", "xenon1t", "-o", "{d}/x.svg"], "use .png or .pdf"),
        (["spectra", "--detector", "xenon1t", "-o", "{d}/x"], "use .png or .pdf"),
        (["spectra", "--detector", "nope", "-o", "{d}/x.png"], "unknown detector 'nope'"),
        (["spectra", "--detector", "xenon1t", "--set", "xenon1t.tritium=maybe", "-o", "{d}/x.png"], "maybe"),
        (["spectra", "--detector", "xenon1t", "-o", "{d}/missing/x.png"], "does not exist"),
        (["limits", "--detector", "xenon1t", "--masses", "1:0.1:3", "-o", "{d}/x.png"], "empty or reversed"),
        (["limits", "--detector", "xenon1t", "--masses", "0:1:3", "--log", "-o", "{d}/x.png"], "LO > 0"),
        (["limits", "--detector", "xenon1t", "--masses", "0.1:1:3", "--cl", "1.5", "-o", "{d}/x.png"], "1.5"),
        (
            ["limits", "--detector", "xenon1t", "--masses", "0.1:1:3", "--workers", "0", "-o", "{d}/x.png"],
            "0",
        ),
        (["limits", "--detector", "xenon1t", "--masses", "a:b", "-o", "{d}/x.png"], "LO:HI:N"),
        (
            [
                "limits",
                "--detector",
                "xenon1t",
                "--masses",
                "0.1:1:2",
                "--set",
                "darwin.x=1",
                "-o",
                "{d}/x.png",
            ],
            "darwin",
        ),
        (["limits", "--masses", "0.1:1:2", "-o", "{d}/x.png"], "--detector"),
        (
            ["limits", "--detector", "xenon1t", "--masses", "0.1:1:2", "--region", "2", "-o", "{d}/x.png"],
            "--cl",
        ),
        (
            ["limits", "--detector", "xenon1t", "--masses", "0.1:1:2", "--region", "0.9,", "-o", "{d}/x.png"],
            "0.9,",
        ),
        (["spectra", "--detector", "xenon1t"], "-o"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    argv = [a.replace("{d}", str(tmp_path)) for a in argv]
    code, out, err = _run(capsys, "plot", *argv)
    assert code == 2
    assert err.startswith("nugen: error:") and err.count("\n") == 1, err
    assert message in err
    assert out == ""
    assert not list(tmp_path.iterdir()), "no output may be left behind"


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "x.png"
    out.write_bytes(b"old")
    code, _, err = _run(capsys, "plot", "spectra", "--detector", "xenon1t", "-o", str(out))
    assert code == 2 and "--overwrite" in err
    assert out.read_bytes() == b"old"
    code, _, err = _run(
        capsys, "plot", "spectra", "--detector", "xenon1t", "--overwrite", "-q", "-o", str(out)
    )
    assert code == 0, err
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_failure_while_drawing_leaves_no_file(tmp_path, capsys, monkeypatch):
    import fits.plots

    def boom(*a, **k):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(fits.plots, "plot_recoil_spectrum", boom)
    out = tmp_path / "x.png"
    code, _, err = _run(capsys, "plot", "spectra", "--detector", "xenon1t", "-o", str(out))
    assert code == 1 and "drawing failed" in err
    assert not list(tmp_path.iterdir())


def test_output_format():
    assert output_format("a/b.PNG") == "png"
    assert output_format("fig.pdf") == "pdf"
    for bad in ("fig.svg", "fig", "dir.png/fig"):
        with pytest.raises(ValueError, match=r"\.png or \.pdf"):
            output_format(bad)


def test_help_lists_both_kinds(capsys):
    code, out, _ = _run(capsys, "plot", "--help")
    assert code == 0 and "spectra" in out and "limits" in out
    code, out, _ = _run(capsys, "plot", "limits", "--help")
    assert code == 0 and "--masses" in out and "--workers" in out and "[MeV]" in out


def test_limits_frame_is_the_seeds_widened_to_the_masses_asked_for():
    from fits.cli.plot import mass_frame

    assert mass_frame([0.05, 3.0]) == (1e-2, 1e3)  # inside Brdar et al.'s Fig. 3 frame
    assert mass_frame([1.0, 6000.0]) == (1e-2, 6000.0)  # NOMAD reaches 6 GeV
    assert mass_frame([1e-3, 1.0]) == (1e-3, 1e3)
