"""The commands ``fits`` contributes to the ``nugen`` command line: limit, scan, region, sensitivity, plot.

Each module defines ``COMMAND``, ``ORDER``, ``register(subparsers, parents)`` and ``run(args) -> int`` (the
protocol of :mod:`nugen.cli`) and is registered as an entry point of the group ``nugen.commands`` in
pyproject.toml, which the command line discovers at run time; the command line's core in ``nugen.cli``
imports nothing from ``fits``. Heavy imports happen inside ``run``.
"""
