"""Neutrino sources (solar, accelerator beams) on a shared base with a registry."""

from __future__ import annotations

from nugen.sources.base import SOURCES, Source, SourceComponent, get_source, register_source

__all__ = ["SOURCES", "Source", "SourceComponent", "get_source", "register_source"]


def __dir__() -> list[str]:
    return __all__
