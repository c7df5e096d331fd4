"""Ctrl-C that is not lost: the command line's SIGINT handler, and checks at safe points.

CPython turns SIGINT into a :class:`KeyboardInterrupt` raised in the main thread at the next bytecode,
but C code that runs Python code and clears every error it sees swallows that exception: attribute
probes (``PyObject_HasAttr`` before Python 3.13), and extension modules' initialisation (numpy's while
it is imported) among them. The command line then ran on to the end and wrote its output after a
Ctrl-C (seen in ``tests/test_cli_generate.py``, about once in a hundred runs on a loaded machine). The
handler of :func:`sigint_handler` also records the interrupt; :func:`check` raises it again at safe
points (every chunk of :func:`nugen.parallel.ordered_map`, before :func:`nugen.outputs.atomic_output`
renames a finished file), so an interrupt swallowed anywhere stops the run within one chunk.

Only the standard library here: :func:`nugen.cli.main` installs the handler before numpy is imported.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["check", "sigint_handler"]

_PENDING = threading.Event()


def _on_sigint(signum, frame) -> None:
    _PENDING.set()
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigint_handler() -> Iterator[None]:
    """Within the block, SIGINT raises :class:`KeyboardInterrupt` and is remembered for :func:`check`.

    The previous handler comes back when the block ends (callers of ``nugen.cli.main([...])`` in a
    longer-lived process keep theirs). A no-op outside the main thread, where handlers cannot be set.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _PENDING.clear()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _PENDING.clear()


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a Ctrl-C arrived inside :func:`sigint_handler`.

    Raises again an interrupt that some C code swallowed; cheap (one flag) for calls once per chunk.
    """
    if _PENDING.is_set():
        raise KeyboardInterrupt
