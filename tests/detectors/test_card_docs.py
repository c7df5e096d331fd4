"""The complete example of docs/cards.md works as written: a card copied from the docs loads, its numbers are
the ones the docs state, and its typo example gives the error the docs show (issue 13: "a card written by
someone who only read docs/cards.md works on the first try")."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from detectors.card import CardDetector, read_card
from nugen.errors import CardError

DOC = Path(__file__).resolve().parents[2] / "docs" / "cards.md"
pytestmark = pytest.mark.skipif(not DOC.is_file(), reason="docs/cards.md is not in this checkout")


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def doc_card(tmp_path):
    (tmp_path / "mydet.toml").write_text(_blocks("toml")[0])
    (tmp_path / "mydet_xe136.csv").write_text(_blocks("text")[0])
    return tmp_path / "mydet.toml"


def test_docs_example_card_loads_with_the_stated_exposure_and_bins(doc_card):
    card = read_card(doc_card)
    assert card.exposure_t_yr == pytest.approx(20.0)  # 10 t x 2 yr, as the docs say
    assert card.edges_keV.size - 1 == 29
    assert [b.name for b in card.backgrounds] == ["flat ER", "136Xe"]


def test_docs_example_flat_background_is_rate_times_exposure_times_efficiency(doc_card):
    # 15 /(t yr keV) x 20 t yr x 29 keV x plateau 0.9 (threshold at the window's lower edge): by hand
    flat = CardDetector(doc_card).backgrounds()[0]
    assert flat.counts.sum() == pytest.approx(15.0 * 20 * 29 * 0.9, rel=1e-9)


def test_docs_example_spectrum_background_is_the_integral_of_the_linear_table(doc_card):
    # rate 0.05 E /(t yr keV) between 0 and 30 keV: 20 t yr x 0.9 x 0.025 (30^2 - 1^2) by hand
    xe = CardDetector(doc_card).backgrounds()[1]
    assert xe.counts.sum() == pytest.approx(20 * 0.9 * 0.025 * (30**2 - 1), rel=1e-6)


def test_docs_example_gives_a_finite_expected_limit(doc_card):
    from fits.limits import detector_limit

    res = detector_limit(CardDetector(doc_card), 0.0, "universal", asimov=True)
    assert 1e-13 < res.mu_upper_muB < 1e-10 and np.isfinite(res.mu_upper_muB)


def test_docs_typo_example_gives_the_documented_error(doc_card):
    doc_card.write_text(doc_card.read_text().replace("bin_width_keV = 1 ", "bin_widht_keV = 1 "))
    with pytest.raises(CardError) as err:
        read_card(doc_card)
    shown = re.search(r"nugen: error: (card mydet\.toml: .*)", DOC.read_text(encoding="utf-8")).group(1)
    assert str(err.value).endswith(shown.split("card mydet.toml", 1)[1])
