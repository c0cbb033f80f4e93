"""For every real module build in the fixtures that records its buildrequires in xmd.mbs, the
context Olivine's stream expansion computes is the one the Module Build Service gave it.

The expansion input is what MBS resolved: each buildrequired module at the stream xmd.mbs
records (some published documents list fewer buildrequires under `dependencies` than MBS
built against, e.g. container-tools:2018.0), and the runtime requires the document carries.

One document, reviewboard:2.5:20180409150256, was built by the MBS of April 2018, which hashed
the buildrequired modules' commit refs where today's hashes their streams (its
`ref_build_context`); for it the same formula over the refs gives its context."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from olivine.modules.expand import expand
from olivine.modules.model import Dependency, Platform, Variant
from olivine.modules.nsvc import context
from olivine.modules.source import dump, read_source
from tests.unit.modules.fixturedocs import streams_with_mbs_xmd

STREAMS = streams_with_mbs_xmd()


def test_the_fixtures_hold_real_module_builds() -> None:
    assert len(STREAMS) >= 64


def _as_built(stream: Any) -> tuple[Variant, dict[str, tuple[str, ...]], Platform]:
    brs = {n: info["stream"] for n, info in stream.get_xmd()["mbs"]["buildrequires"].items()}
    source = read_source(dump(stream))
    requires: dict[str, set[str]] = {}
    for dep in source.variants[0].dependencies:
        for name, streams in dep.requires.items():
            requires.setdefault(name, set()).update(streams)
    dep = Dependency(
        buildrequires={n: (s,) for n, s in brs.items()},
        requires={n: tuple(sorted(s)) for n, s in requires.items()},
    )
    base = brs.get("platform", "none")
    catalog = {n: (s,) for n, s in brs.items() if n != "platform"}
    return (
        dataclasses.replace(source.variants[0], dependencies=(dep,)),
        catalog,
        Platform(base, base),
    )


@pytest.mark.parametrize("stream", [s for _, s in STREAMS], ids=[i for i, _ in STREAMS])
def test_context_matches_mbs(stream: Any) -> None:
    variant, catalog, platform = _as_built(stream)
    source = dataclasses.replace(read_source(dump(stream)), variants=(variant,))
    got = {context(e.buildrequires, e.requires) for e in expand(source, catalog, platform)}
    if stream.get_version() < 20180500000000 and got != {stream.get_context()}:
        refs = {n: i["ref"] for n, i in stream.get_xmd()["mbs"]["buildrequires"].items()}
        got = {context(refs, e.requires) for e in expand(source, catalog, platform)}
    assert got == {stream.get_context()}
