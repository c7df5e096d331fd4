"""A Ctrl-C that some code swallows is raised again at the next safe point (nugen.interrupts)."""

import os
import signal

import pytest

from nugen import interrupts
from nugen.outputs import atomic_output
from nugen.parallel import ordered_map


def _swallowed_ctrl_c():
    # what C code that clears every error does to a KeyboardInterrupt (e.g. an extension's init)
    try:
        os.kill(os.getpid(), signal.SIGINT)
        signal.getsignal(signal.SIGINT)  # a few bytecodes: the handler runs here at the latest
    except KeyboardInterrupt:
        pass


def test_check_raises_a_swallowed_interrupt_and_nothing_before_it():
    with interrupts.sigint_handler():
        interrupts.check()  # no interrupt yet: nothing happens
        _swallowed_ctrl_c()
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()


def test_a_file_is_not_published_after_a_swallowed_interrupt(tmp_path):
    with (
        interrupts.sigint_handler(),
        pytest.raises(KeyboardInterrupt),
        atomic_output(tmp_path / "out.txt") as tmp,
    ):
        tmp.write_text("complete, but the user pressed Ctrl-C")
        _swallowed_ctrl_c()
    assert list(tmp_path.iterdir()) == []


def test_ordered_map_stops_after_the_piece_that_swallowed_the_interrupt():
    done = []

    def job(i):
        done.append(i)
        if i == 1:
            _swallowed_ctrl_c()
        return i

    with interrupts.sigint_handler(), pytest.raises(KeyboardInterrupt):
        list(ordered_map(job, range(5)))
    assert done == [0, 1]


def test_the_previous_handler_comes_back_and_the_flag_is_forgotten():
    before = signal.getsignal(signal.SIGINT)
    with interrupts.sigint_handler():
        _swallowed_ctrl_c()
    assert signal.getsignal(signal.SIGINT) is before
    interrupts.check()  # outside the block a past interrupt no longer counts
