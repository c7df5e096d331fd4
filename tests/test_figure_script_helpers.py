"""fits.plots.save_figures and scripts/_figscript.py, shared by the figure scripts."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture(scope="module")
def figscript():
    spec = importlib.util.spec_from_file_location("_figscript", SCRIPTS / "_figscript.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_save_figures_writes_each_format_in_order(tmp_path):
    from matplotlib.figure import Figure

    from fits.plots import save_figures

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, 1])
    paths = save_figures(fig, tmp_path, "f", dpi=30)
    assert paths == [tmp_path / "f.png", tmp_path / "f.pdf"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[1].read_bytes()[:5] == b"%PDF-"
    assert save_figures(fig, str(tmp_path), "g", formats=("pdf",)) == [tmp_path / "g.pdf"]


def test_run_figure_script_reports_files_and_errors(figscript, tmp_path, capsys, caplog):
    from nugen.errors import InvalidParameterError

    p = figscript.figure_parser("/x/demo.py", "Demo.\n\nMore.", "Draws.", ["--outdir out"])
    figscript.add_run_options(p)
    log = logging.getLogger("demo")
    with caplog.at_level(logging.INFO, logger="demo"):
        code = figscript.run_figure_script(p, ["--outdir", str(tmp_path)], log, lambda a: [Path(a.outdir)])
    assert code == 0
    assert f"wrote {tmp_path}" in caplog.text

    def fail(args):
        raise InvalidParameterError(f"bad dpi {args.dpi}")

    assert figscript.run_figure_script(p, ["--dpi", "7", "-q"], log, fail) == 2
    assert capsys.readouterr().err == "demo.py: error: bad dpi 7\n"
    assert p.description == "Demo. Draws."
    assert "examples:\n  python scripts/demo.py --outdir out" in p.format_help()


def test_replace_generated_block_changes_only_the_marked_text(figscript, tmp_path):
    doc = tmp_path / "v.md"
    doc.write_text("a\n<!-- BEGIN generated: t -->\nold\n<!-- END generated: t -->\nb\n", encoding="utf-8")
    figscript.replace_generated_block("t", "new | table", doc)
    assert doc.read_text(encoding="utf-8") == (
        "a\n<!-- BEGIN generated: t -->\nnew | table\n<!-- END generated: t -->\nb\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["v.md"]  # the temporary file was renamed
    with pytest.raises(ValueError):
        figscript.replace_generated_block("other", "x", doc)
    assert "new | table" in doc.read_text(encoding="utf-8")
