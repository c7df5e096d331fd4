"""Event files: real TTrees, exact round trips with plain uproot, atomic writes, bad input."""

from __future__ import annotations

import json
import os

import awkward as ak
import numpy as np
import pytest
import uproot

from nugen.errors import InvalidParameterError
from nugen.generator import Generator
from nugen.io import EVENT_TREE, FORMAT, META_KEY, read_events, read_meta, write_events
from nugen.model import DipolePortal
from nugen.sources import get_source
from nugen.targets import get_target


@pytest.fixture(scope="module")
def chunks():
    gen = Generator(get_source("solar"), get_target("xenon"), DipolePortal(0.3, 1e-6))
    return [c for c, _ in gen.iter_chunks(30_000, seed=1, chunk_size=12_000)], gen


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_round_trip_with_plain_uproot(tmp_path, chunks):
    cols, gen = chunks
    meta = {"model": gen.model.describe(), "seed": 1, "note": "ünïcode ok"}
    path = tmp_path / "ev.root"
    written = write_events(path, cols, meta)
    assert listing(tmp_path) == ["ev.root"]  # no temporary left
    with uproot.open(path) as fh:
        assert fh.classnames()[f"{EVENT_TREE};1"] == "TTree"  # not an RNTuple (uproot >= 5.7 default)
        assert fh.classnames()[f"{META_KEY};1"] == "TObjString"
        tree = fh[EVENT_TREE]
        assert tree.num_entries == 30_000
        # one basket per extend call: large baskets, one per chunk
        assert tree["E_nu_MeV"].num_baskets == len(cols)
        arrays = tree.arrays(library="np")
        meta_back = json.loads(str(fh[META_KEY]))
    for key in cols[0]:
        full = np.concatenate([c[key] for c in cols])
        np.testing.assert_array_equal(arrays[key], full, err_msg=key)  # bit-identical, NaNs included
        assert arrays[key].dtype == full.dtype
    assert meta_back == written
    assert meta_back["format"] == FORMAT
    assert meta_back["n_events"] == 30_000
    assert meta_back["sum_weights"] == pytest.approx(gen.total_rate, rel=1e-12)
    assert meta_back["note"] == "ünïcode ok"


def test_reader_returns_awkward_and_meta(tmp_path, chunks):
    cols, _ = chunks
    path = tmp_path / "ev.root"
    written = write_events(path, cols, {"a": 1})
    events, meta = read_events(path)
    assert isinstance(events, ak.Array)
    assert meta == written == read_meta(path)
    assert list(events.fields) == list(cols[0])
    np.testing.assert_array_equal(events["Er_keV"].to_numpy(), np.concatenate([c["Er_keV"] for c in cols]))
    part, _ = read_events(path, ["Er_keV", "weight"], entry_start=10, entry_stop=20)
    assert part.fields == ["Er_keV", "weight"] and len(part) == 10


def test_awkward_chunks_are_accepted(tmp_path, chunks):
    cols, _ = chunks
    write_events(tmp_path / "ak.root", [ak.Array(c) for c in cols], {})
    events, _ = read_events(tmp_path / "ak.root")
    assert len(events) == 30_000


@pytest.mark.parametrize("comp", ["zstd:1", "lz4:1", "zlib:1", "none"])
def test_compressions_round_trip(tmp_path, chunks, comp):
    cols, _ = chunks
    write_events(tmp_path / "c.root", cols[:1], {}, compression=comp)
    events, _ = read_events(tmp_path / "c.root")
    np.testing.assert_array_equal(events["E_nu_MeV"].to_numpy(), cols[0]["E_nu_MeV"])


def test_file_permissions_follow_umask(tmp_path, chunks):
    cols, _ = chunks
    old = os.umask(0o022)
    try:
        write_events(tmp_path / "p.root", cols[:1], {})
    finally:
        os.umask(old)
    assert (tmp_path / "p.root").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_nothing(tmp_path, chunks, exc):
    cols, _ = chunks

    def broken():
        yield cols[0]
        raise exc

    with pytest.raises(type(exc)):
        write_events(tmp_path / "x.root", broken(), {})
    assert listing(tmp_path) == []


def test_existing_file_needs_overwrite(tmp_path, chunks):
    cols, _ = chunks
    path = tmp_path / "x.root"
    path.write_bytes(b"keep me")
    with pytest.raises(InvalidParameterError, match="exists"):
        write_events(path, cols[:1], {})
    assert path.read_bytes() == b"keep me"
    write_events(path, cols[:1], {}, overwrite=True)
    assert read_meta(path)["n_events"] == 12_000
    assert listing(tmp_path) == ["x.root"]


def test_bad_destinations_and_options(tmp_path, chunks):
    cols, _ = chunks
    with pytest.raises(InvalidParameterError, match="does not exist"):
        write_events(tmp_path / "missing" / "x.root", cols[:1], {})
    with pytest.raises(InvalidParameterError, match="compression"):
        write_events(tmp_path / "x.root", cols[:1], {}, compression="gzip:3")
    with pytest.raises(InvalidParameterError, match="no events"):
        write_events(tmp_path / "x.root", [], {})
    bad = [cols[0], {k: v for k, v in cols[1].items() if k != "weight"}]
    with pytest.raises(InvalidParameterError, match="columns"):
        write_events(tmp_path / "x.root", bad, {})
    assert listing(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder(tmp_path, chunks):
    cols, _ = chunks
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(InvalidParameterError, match="not writable"):
            write_events(ro / "x.root", cols[:1], {})
    finally:
        ro.chmod(0o700)


def test_pipelined_writer_thread_writes_the_same_events_as_one_thread(tmp_path, chunks):
    cols, _ = chunks
    a, b = tmp_path / "pipe.root", tmp_path / "serial.root"
    ma = write_events(a, iter(cols), {"seed": 1}, pipeline=True)
    mb = write_events(b, iter(cols), {"seed": 1}, pipeline=False)
    assert ma == mb
    with uproot.open(a) as fa, uproot.open(b) as fb:
        ta, tb = fa[EVENT_TREE], fb[EVENT_TREE]
        assert ta.keys() == tb.keys()
        assert list(ta.common_entry_offsets()) == list(tb.common_entry_offsets())  # one basket per chunk
        xa, xb = ta.arrays(library="np"), tb.arrays(library="np")
        assert all(np.array_equal(xa[k], xb[k], equal_nan=True) for k in xa)


def test_error_in_writer_thread_reaches_caller_and_leaves_nothing(tmp_path, chunks, monkeypatch):
    cols, _ = chunks
    from uproot.writing.writable import WritableTree

    def broken_extend(self, data):
        raise OSError("disk on fire")

    monkeypatch.setattr(WritableTree, "extend", broken_extend)
    with pytest.raises(OSError, match="disk on fire"):
        write_events(tmp_path / "ev.root", iter(cols), {})
    assert listing(tmp_path) == []


def test_producer_interrupt_stops_writer_thread_and_leaves_nothing(tmp_path, chunks):
    import threading

    cols, _ = chunks

    def interrupted():
        yield cols[0]
        yield cols[1]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_events(tmp_path / "ev.root", interrupted(), {})
    assert listing(tmp_path) == []
    assert not any(t.name == "nugen-root-writer" for t in threading.enumerate())
