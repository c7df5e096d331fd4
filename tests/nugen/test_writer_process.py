"""The ROOT writer in a forked child (nugen.writer_process): same files as the thread, errors handed back,
nothing left behind. Each case runs in a fresh single-threaded interpreter, where write_events chooses the
child (a pytest worker may run helper threads, where it rightly falls back to the thread)."""

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import uproot

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the child writer is Linux-only")

CHUNKS = """
import numpy as np
def chunks(n_chunks=5, size=70_000):  # > SLOT_EVENTS: the last chunks go to the child in pieces
    rng = np.random.default_rng(7)
    for i in range(n_chunks):
        yield {"E_MeV": rng.random(size), "pdg": np.full(size, 11 + i, dtype=np.int32),
               "weight": np.full(size, 0.5)}
"""


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    script = tmp_path / "job.py"
    script.write_text(CHUNKS + textwrap.dedent(code), encoding="utf-8")
    argv = [sys.executable, str(script)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_the_child_writes_the_same_events_and_metadata_as_one_thread(tmp_path):
    proc = _run(
        """
        import nugen.writer_process as wp
        from nugen.io import write_events
        used = []
        init = wp.ProcessWriter.__init__
        wp.ProcessWriter.__init__ = lambda self, *a, **k: (used.append(1), init(self, *a, **k))[1]
        progress = []
        write_events("child.root", chunks(), {"seed": 1}, on_chunk=progress.append)
        write_events("plain.root", chunks(), {"seed": 1}, pipeline=False)
        print(len(used), sum(progress))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "350000"]  # the child was used; progress counted every event once
    a = uproot.open(tmp_path / "child.root")
    b = uproot.open(tmp_path / "plain.root")
    ea, eb = a["events"].arrays(library="np"), b["events"].arrays(library="np")
    assert list(ea) == list(eb) and all(np.array_equal(ea[k], eb[k]) for k in eb)
    assert ea["pdg"].dtype == np.int32
    assert str(a["meta"]) == str(b["meta"])  # n_events, sum_weights, format: the same JSON
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.root", "job.py", "plain.root"]


def test_an_exception_in_the_child_is_raised_in_the_parent_and_no_file_is_left(tmp_path):
    proc = _run(
        """
        import uproot
        import nugen.compression
        import nugen.io as nio
        class Broken:  # a compression whose compress() fails, in the child only
            def compress(self, data):
                raise ValueError("codec broke on purpose")
            def __getattr__(self, name):
                return getattr(uproot.ZSTD(1), name)
        nugen.compression.parse_compression = lambda text: Broken()
        try:
            nio.write_events("out.root", chunks(), {"seed": 1})
        except ValueError as exc:
            print("raised:", exc)
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "raised: codec broke on purpose"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.py"]


def test_a_writer_killed_mid_run_is_an_error_and_no_file_is_left(tmp_path):
    proc = _run(
        """
        import multiprocessing, os, signal
        from nugen.io import write_events
        def killing():
            for i, c in enumerate(chunks(8)):
                if i == 3:
                    for p in multiprocessing.active_children():
                        os.kill(p.pid, signal.SIGKILL)
                yield c
        try:
            write_events("out.root", killing(), {"seed": 1})
        except RuntimeError as exc:
            print("raised:", exc)
        print("children left:", len(multiprocessing.active_children()))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("raised: the ROOT writer process ended unexpectedly"), proc.stdout
    assert lines[1] == "children left: 0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.py"]


def test_a_prestarted_child_writes_from_the_first_chunk_and_the_parent_never_imports_uproot(tmp_path):
    proc = _run(
        """
        import sys
        import nugen.writer_process as wp
        from nugen.io import write_events
        assert wp.prestart() and wp.has_prestarted()
        write_events("one.root", chunks(1, 1000), {"seed": 1})  # one chunk: still the (warm) child
        assert not wp.has_prestarted()  # taken
        wp.prestart()
        write_events("child.root", chunks(), {})
        print("uproot" in sys.modules, "awkward" in sys.modules)
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
    plain = 'from nugen.io import write_events\nwrite_events("plain.root", chunks(), {}, pipeline=False)'
    proc = _run(plain, tmp_path)
    assert proc.returncode == 0, proc.stderr
    ea = uproot.open(tmp_path / "child.root")["events"].arrays(library="np")
    eb = uproot.open(tmp_path / "plain.root")["events"].arrays(library="np")
    assert list(ea) == list(eb) and all(np.array_equal(ea[k], eb[k]) for k in eb)
    assert uproot.open(tmp_path / "one.root")["events"].num_entries == 1000


def test_an_unused_prestarted_child_is_ended_by_discard_and_by_the_parent_exiting(tmp_path):
    proc = _run(
        """
        import multiprocessing, os, time
        import nugen.writer_process as wp
        wp.prestart()
        child = multiprocessing.active_children()[0].pid
        wp.discard_prestarted()
        print(len(multiprocessing.active_children()), wp.has_prestarted())
        wp.prestart()
        print(multiprocessing.active_children()[0].pid)  # left running: the parent exits now
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.strip().splitlines()
    assert first == "0 False"
    pid = int(second)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:  # EOF on its pipe (or PR_SET_PDEATHSIG) ends it
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
