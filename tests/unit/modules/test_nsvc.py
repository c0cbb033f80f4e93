from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest

from olivine.modules.model import NSVC
from olivine.modules.nsvc import (
    build_context,
    commit_version,
    context,
    dist_hash,
    dist_tag,
    platform_of,
    runtime_context,
    stream_version,
    version,
)
from tests.unit.modules.fixturedocs import MODULARITY


def test_dist_hash_of_the_fixtures_nodejs_10_artifacts() -> None:
    # nodejs:10 of pulp assets-modularity: version 20180920144631, context 6c81f848; its RPMs
    # are nodejs-10.11.0-1.module_2200+adbac02b
    nsvc = NSVC("nodejs", "10", 20180920144631, "6c81f848")
    assert dist_hash(nsvc) == "adbac02b"
    if MODULARITY.is_dir():
        names = [p.name for p in MODULARITY.glob("nodejs-10.*.rpm")]
        assert names and all(f"+{dist_hash(nsvc)}." in n for n in names)


def test_platform_from_vendor() -> None:
    p = platform_of("el", 9, 4)
    assert (p.stream, p.virtual) == ("el9.4.0", "el9")
    assert platform_of("fedora", 39, 0).virtual == "f39"


@pytest.mark.parametrize(
    ("stream", "want"),
    [("el9.4.0", 90400), ("el8.10.0", 81000), ("f27", 27), ("f27.0.1", 270001), ("x", None)],
)
def test_stream_version_as_mbs(stream: str, want: int | None) -> None:
    assert stream_version(stream) == want


def test_version_is_platform_prefix_then_commit_time() -> None:
    t = int(datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp())
    assert commit_version(t) == 20240506070809
    assert version("el9.4.0", t) == 9040020240506070809
    assert version("el8.4.0", t) == 8040020240506070809


def test_context_is_mbs_formula() -> None:
    br = {"platform": "f30"}
    rq = {"platform": ("f30",)}
    bc = hashlib.sha1(b'{"platform": "f30"}').hexdigest()
    rc = hashlib.sha1(b'{"platform": ["f30"]}').hexdigest()
    assert build_context(br) == bc and runtime_context(rq) == rc
    assert context(br, rq) == hashlib.sha1(f"{bc}:{rc}".encode()).hexdigest()[:8] == "a5b0195c"


def test_context_ignores_order_of_names_and_streams() -> None:
    a = context({"b": "1", "a": "2"}, {"x": ("2", "1"), "platform": ("el9",)})
    b = context({"a": "2", "b": "1"}, {"platform": ("el9",), "x": ("1", "2")})
    assert a == b


def test_dist_tag_shape() -> None:
    nsvc = NSVC("nodejs", "10", 20180920144631, "6c81f848")
    tag = dist_tag(nsvc, platform_of("el", 9, 4), 12)
    assert tag == ".module+el9.4.0+12+adbac02b"
    assert re.fullmatch(r"\.module\+el9\.4\.0\+\d+\+[0-9a-f]{8}", tag)
