"""The detectors' part of the ``nugen`` command line.

Two roles, both registered in pyproject.toml and discovered by :mod:`nugen.cli` at run time:

* the command ``nugen info`` (entry point ``nugen.commands``): a detector's settings (key, default, unit,
  meaning), exposure, backgrounds and sources;
* the detector provider (entry point ``nugen.detector_provider``): :func:`get_detector`, :func:`load_card`
  and :data:`DETECTORS`, through which nugen's own commands (``spectrum --detector``, ``generate
  --detector``, ``--card`` everywhere) reach detectors without importing this package.
"""

from __future__ import annotations

import argparse
import json
import sys

from nugen.cli.common import CARD_HELP, ENERGY_UNITS_MEV, add_settings_option, detector_settings

# DETECTORS is provided by the module's __getattr__ (computed when first asked for)
__all__ = ["COMMAND", "DETECTORS", "ORDER", "describe", "get_detector", "load_card", "register", "run"]  # noqa: F822


# -- the detector provider (imports deferred: the command line loads this module at start-up) ---------
def get_detector(name: str, **settings: object):
    """:func:`detectors.registry.get_detector`: the detector ``name`` (or card path) with ``settings``."""
    from detectors.registry import get_detector as get

    return get(name, **settings)


def load_card(path: str):
    """:func:`detectors.card.load_card`: parse and validate a detector card file."""
    from detectors.card import load_card as load

    return load(path)


def __getattr__(name: str):
    if name == "DETECTORS":  # the registered names, computed when first asked for
        from detectors.registry import DETECTORS

        return DETECTORS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


COMMAND = "info"
ORDER = 70


def register(sub, parents):
    """Add the ``info`` subcommand."""
    p = sub.add_parser(
        COMMAND,
        parents=parents,
        help="list a detector's settings, exposure, backgrounds and the publications it follows",
        description="Describe a detector: its settings (key, default, unit, meaning; change them with "
        "--set DETECTOR.KEY=VALUE in other commands), exposure, analysis window, background components "
        "and whether it has observed data. Without a name, list the registered detectors.",
        epilog="examples:\n  nugen info xenon1t\n  nugen info borexino --json\n"
        "  nugen info darwin --set darwin.exposure_t_yr=300\n"
        "  nugen info --card my_detector.toml",
    )
    p.add_argument(
        "detector",
        nargs="?",
        metavar="DETECTOR",
        help="xenon1t, borexino, charm2, or a shipped card: xenonnt, lz, darwin, xlzd",
    )
    p.add_argument("--card", metavar="FILE.toml", default=None, help=CARD_HELP)
    add_settings_option(p, help="describe the detector with these settings (repeatable)")
    p.add_argument("--json", dest="format", action="store_const", const="json", help="write JSON")
    return p


def describe(name: str, **settings: object) -> dict:
    """JSON-ready description of detector ``name`` built with ``settings``."""
    from detectors import get_detector

    det = get_detector(name, **settings)
    edges = det.analysis_edges_MeV()
    unit = det.energy_unit
    scale = ENERGY_UNITS_MEV[unit]
    bkgs = det.backgrounds()
    obs = det.observed()
    return {
        "command": "info",
        "detector": det.name,
        "title": det.title,
        "citation": det.citation,
        **({"card": str(det.card.path)} if hasattr(det, "card") else {}),
        "target": det.target,
        "source": det.source,
        "recoil": det.scatterer,
        "energy_unit": unit,
        "window": [float(edges[0] / scale), float(edges[-1] / scale)],
        "n_bins": int(edges.size - 1),
        "exposure": float(det.exposure_t_yr),
        "exposure_unit": det.exposure_unit,
        **({"exposure_t_yr": float(det.exposure_t_yr)} if det.exposure_unit == "t yr" else {}),
        "settings": [
            {"key": s.key, "default": s.default, "value": det.settings[s.key], "unit": s.unit, "doc": s.doc}
            for s in det.SETTINGS
        ],
        "backgrounds": [
            {
                "name": b.name,
                "events": float(b.counts.sum()),
                "rel_uncertainty": b.rel_uncertainty,
                "doc": b.doc,
            }
            for b in bkgs
        ],
        "sm_in_background": bool(det.sm_in_background),
        "sm_rel_uncertainty": det.sm_rel_uncertainty,
        "observed_events": None if obs is None else float(obs.sum()),
        **({"data": det.data_text} if getattr(det, "data_text", None) else {}),
    }


def _summary(name: str) -> dict:
    """Name, kind (module, or card with data / projection) and title of a registered detector."""
    from detectors.registry import _REGISTRY, _detector_class

    if name in _REGISTRY:
        return {"name": name, "kind": "module", "title": _detector_class(name).title}
    from detectors.card import load_card, shipped_card_path

    card = load_card(shipped_card_path(name), shipped=True)
    kind = "card, data" if card.observed is not None else "card, projection"
    return {"name": name, "kind": kind, "title": card.title}


def _text(info: dict) -> str:
    lines = [
        f"{info['detector']}: {info['title']}",
        f"  follows:   {info['citation']}",
        *([f"  card:      {info['card']}"] if "card" in info else []),
        f"  target:    {info['target']} ({info['recoil']} recoils), source: {info['source']}",
        f"  exposure:  {info['exposure']:g} {info['exposure_unit']}",
        f"  window:    {info['window'][0]:g}-{info['window'][1]:g} {info['energy_unit']} "
        f"in {info['n_bins']} bins",
        "  data:      "
        + (
            info["data"]
            if "data" in info
            else "none (projection; fits use Asimov data)"
            if info["observed_events"] is None
            else f"{info['observed_events']:g} observed events"
        ),
    ]
    if info["backgrounds"]:
        lines.append("  backgrounds (events in the window at nominal normalisation; constraint):")
        for b in info["backgrounds"]:
            c = "free" if b["rel_uncertainty"] is None else f"+-{100 * b['rel_uncertainty']:.3g} %"
            lines.append(f"    {b['name']:<12} {b['events']:>12.6g}  {c:<10} {b['doc']}")
    if info["sm_in_background"]:
        lines.append("  SM solar neutrinos are part of the background model (sm_nu is for display only)")
    lines.append("  settings (--set DETECTOR.KEY=VALUE):")
    rows = [("key", "default", "unit", "description")] + [
        (s["key"], str(s["default"]), s["unit"] or "-", s["doc"]) for s in info["settings"]
    ]
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        lines.append(f"    {r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Print the description of a detector (or the list of detectors)."""
    from detectors import DETECTORS

    if args.detector is None:
        if args.settings:
            msg = (
                f"--set describes one detector; name it (nugen info DETECTOR --set ...), got "
                f"{args.settings[0]!r} without a detector"
            )
            from nugen.errors import InvalidParameterError

            raise InvalidParameterError(msg)
        names = sorted(DETECTORS)
        rows = [_summary(n) for n in names]
        if args.format == "json":
            doc = {"command": "info", "detectors": names, "details": rows}
            sys.stdout.write(json.dumps(doc, indent=1) + "\n")
        else:
            w = max(len(n) for n in names)
            lines = [f"  {r['name']:<{w}}  {r['kind']:<17}  {r['title']}" for r in rows]
            sys.stdout.write(
                "detectors (nugen info NAME for details; --card FILE.toml for your own, docs/cards.md):\n"
                + "\n".join(lines)
                + "\n"
            )
        return 0
    info = describe(args.detector, **detector_settings(args.settings, args.detector, named="the detector"))
    if args.format == "json":
        sys.stdout.write(json.dumps(info, indent=1, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_text(info))
    return 0
