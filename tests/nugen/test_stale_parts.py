"""Leftovers of killed runs: only a dead run's ``.NAME.XXXXXXXX.part`` for that exact name is removed."""

from __future__ import annotations

import fcntl
import os

from nugen.outputs import atomic_output, remove_stale_parts


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_dead_runs_part_is_removed_by_the_next_run_to_that_name(tmp_path):
    stale = tmp_path / ".ev.root.ab12_XYZ.part"
    stale.write_bytes(b"half a file")
    with atomic_output(tmp_path / "ev.root") as tmp:
        tmp.write_text("done")
    assert listing(tmp_path) == ["ev.root"]


def test_other_names_and_lookalikes_are_left_alone(tmp_path):
    keep = [
        ".ev.root.ab12_XYZ.part.bak",  # not our pattern
        ".ev.root.short.part",  # 5 characters, not mkstemp's 8
        ".other.root.ab12_XYZ.part",  # another output's
        "ev.root.ab12_XYZ.part",  # not hidden
    ]
    for name in keep:
        (tmp_path / name).write_text("x")
    os.mkdir(tmp_path / ".ev.root.abcdefgh.part")  # a folder, not a file
    (tmp_path / "target").write_text("precious")
    os.symlink(tmp_path / "target", tmp_path / ".ev.root.zzzzzzzz.part")  # a link, not followed
    assert remove_stale_parts(tmp_path / "ev.root") == []
    assert (tmp_path / "target").read_text() == "precious"
    assert set(keep) <= set(listing(tmp_path))


def test_a_live_runs_part_is_never_removed(tmp_path):
    live = tmp_path / ".ev.root.livelive.part"
    fd = os.open(live, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as atomic_output holds it while writing
        pid = os.fork()
        if pid == 0:  # another process looks: the lock belongs to us, so the file stays
            os._exit(len(remove_stale_parts(tmp_path / "ev.root")))
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert live.exists()
    finally:
        os.close(fd)
    assert remove_stale_parts(tmp_path / "ev.root") == [live]  # its holder is gone now


def test_atomic_output_holds_its_temporary_file_while_writing(tmp_path):
    with atomic_output(tmp_path / "ev.root") as tmp:
        assert remove_stale_parts(tmp_path / "ev.root") == []
        assert tmp.exists()
        tmp.write_text("done")
    assert listing(tmp_path) == ["ev.root"]
