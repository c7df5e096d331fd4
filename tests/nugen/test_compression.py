"""ROOT compression strings: checked without uproot, the same levels uproot accepts."""

import pytest
import uproot

from nugen.compression import COMPRESSIONS, check_compression, parse_compression
from nugen.errors import InvalidParameterError


@pytest.mark.parametrize("name", [n for n, cls in COMPRESSIONS.items() if cls is not None])
def test_compression_levels_checked_without_uproot_are_the_ones_uproot_accepts(name):
    # nugen.compression.check_compression (no uproot import, for the sampling process) against uproot's
    # own constructor
    cls = getattr(uproot, COMPRESSIONS[name])
    for level in range(-1, 30):
        try:
            cls(level)
            accepted = True
        except ValueError:
            accepted = False
        if accepted:
            assert check_compression(f"{name}:{level}") == f"{name}:{level}"
            assert parse_compression(f"{name}:{level}").level == level
        else:
            with pytest.raises(InvalidParameterError, match="level"):
                check_compression(f"{name}:{level}")
    assert check_compression(name) == f"{name}:1" and check_compression(None) == "zstd:1"
    assert check_compression("none") == "none" and parse_compression("none") is None
    with pytest.raises(InvalidParameterError, match=r"bad compression level in 'zstd:x'"):
        check_compression("zstd:x")
