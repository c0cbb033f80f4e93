"""BuildRequires resolution with libsolv against createrepo_c repos."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from olivine.builds.resolve import RepoSource, UnresolvableBuildRequires, resolve_buildroot
from olivine.builds.solvcache import SolvCache
from olivine.errors import IntegrityFailure

from .conftest import make_repo


def _all(demo: dict[str, Any]) -> Path:
    return demo["repos"][0].path


def test_versioned_and_rich_build_requires(demo: dict[str, Any]) -> None:
    repos = (RepoSource("all", _all(demo), project=True),)
    rec = resolve_buildroot(
        ["libgreet-devel >= 1.0", "(gcc or clang)", "make"], repos, ["gcc", "make"], "x86_64"
    )
    kinds = {
        (e["kind"], e.get("nevra") or e.get("name") or e.get("capability")) for e in rec.entries
    }
    assert ("rpm", "libgreet-devel-1.0-1.el9.x86_64") in kinds
    assert ("rpm", "libgreet-1.0-1.el9.x86_64") in kinds  # pulled in by -devel's Requires
    assert ("host", "gcc") in kinds and ("host", "make") in kinds
    assert ("host-assumed", "rtld(GNU_HASH)") in kinds  # libgreet.so.1 needs the host ld.so
    assert len(rec.rpms) == 2


def test_version_too_new_is_missing(demo: dict[str, Any]) -> None:
    repos = (RepoSource("all", _all(demo), project=True),)
    with pytest.raises(UnresolvableBuildRequires) as e:
        resolve_buildroot(["libgreet-devel >= 2"], repos, [], "x86_64")
    assert e.value.missing == ["libgreet-devel >= 2"]
    assert e.value.message == "missing BuildRequires libgreet-devel >= 2"


def test_project_package_wins_over_external_repo(demo: dict[str, Any], tmp_path: Path) -> None:
    ext = make_repo(tmp_path / "ext", list(demo["lib"].rpms))
    repos = (RepoSource("base", ext, priority=10), RepoSource("all", _all(demo), project=True))
    rec = resolve_buildroot(["libgreet-devel"], repos, [], "x86_64")
    assert {e["repo"] for e in rec.entries if e["kind"] == "rpm"} == {"all"}


def test_tampered_package_fails_integrity(demo: dict[str, Any], tmp_path: Path) -> None:
    repo = Path(shutil.copytree(_all(demo), tmp_path / "all"))
    devel = next(repo.glob("libgreet-devel-*.rpm"))
    devel.write_bytes(devel.read_bytes() + b"tampered")
    with pytest.raises(IntegrityFailure, match="sha256"):
        resolve_buildroot(
            ["libgreet-devel"], (RepoSource("all", repo, project=True),), [], "x86_64"
        )


def test_a_file_build_requires_resolves_from_filelists(demo: dict[str, Any]) -> None:
    """/usr/include/greet.h is only in filelists.xml (primary keeps /etc and bin/ paths)."""
    repos = (RepoSource("all", _all(demo), project=True),)
    rec = resolve_buildroot(["/usr/include/greet.h"], repos, [], "x86_64")
    chosen = {e["nevra"] for e in rec.entries if e["kind"] == "rpm"}
    assert "libgreet-devel-1.0-1.el9.x86_64" in chosen
    assert all("olivine-build-requires" not in str(e) for e in rec.entries)
    with pytest.raises(UnresolvableBuildRequires, match=r"/usr/include/nothere\.h"):
        resolve_buildroot(["/usr/include/nothere.h"], repos, [], "x86_64")


def test_the_solv_cache_loads_a_repo_read_before(demo: dict[str, Any], tmp_path: Path) -> None:
    """The second resolution reads the repository from the worker's .solv cache and gets the
    same build root; a cache file that does not load is read from XML and written again; a
    repository that changed is a new key."""
    cache = SolvCache(tmp_path / "solv")
    repo = Path(shutil.copytree(_all(demo), tmp_path / "all"))
    repos = (RepoSource("all", repo, project=True),)
    want = ["libgreet-devel >= 1.0", "/usr/include/greet.h"]
    first = resolve_buildroot(want, repos, [], "x86_64", solv_cache=cache)
    (kept,) = list((tmp_path / "solv").glob("*.solv"))
    again = resolve_buildroot(want, repos, [], "x86_64", solv_cache=cache)
    assert again.entries == first.entries and len(again.rpms) == len(first.rpms) == 2
    kept.write_bytes(b"not a solv file")
    third = resolve_buildroot(want, repos, [], "x86_64", solv_cache=cache)
    assert third.entries == first.entries
    assert kept.read_bytes() != b"not a solv file"  # written again
    only_lib = [p for p in demo["lib"].rpms if "-devel-" not in p.name]
    smaller = make_repo(tmp_path / "smaller", only_lib)
    with pytest.raises(UnresolvableBuildRequires):
        resolve_buildroot(want, (RepoSource("all", smaller, project=True),), [], "x86_64",
                          solv_cache=cache)  # fmt: skip
    assert len(list((tmp_path / "solv").glob("*.solv"))) == 2


def test_metadata_fetched_once_is_taken_from_the_cache(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    """An external repo over HTTP: the second resolution fetches repomd.xml alone (primary
    and filelists come from the files kept by the sha256 repomd.xml names); a repo whose
    metadata changed is fetched again."""
    import functools
    import http.server
    import ipaddress
    import threading

    from olivine.fetch.policy import FetchPolicy

    served = Path(shutil.copytree(_all(demo), tmp_path / "served"))
    asked: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            asked.append(self.path)

    handler = functools.partial(Handler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    policy = FetchPolicy(allow_nets=(ipaddress.ip_network("127.0.0.0/8"),))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    cache = SolvCache(tmp_path / "solv")
    repos = (RepoSource("ext", url=url, policy=policy),)
    try:
        for i in range(2):
            rec = resolve_buildroot(["libgreet-devel"], repos, [], "x86_64",
                                    cache=tmp_path / f"c{i}", solv_cache=cache)  # fmt: skip
            assert len(rec.rpms) == 2
        meta = [p for p in asked if "/repodata/" in p]
        assert sum(p.endswith("repomd.xml") for p in meta) == 2
        assert sum("primary" in p for p in meta) == 1 and sum("filelists" in p for p in meta) == 1
        for devel in served.glob("*-devel-*.rpm"):
            devel.unlink()
        make_repo(served, [])  # its metadata again, without -devel
        asked.clear()
        with pytest.raises(UnresolvableBuildRequires):
            resolve_buildroot(["libgreet-devel"], repos, [], "x86_64", cache=tmp_path / "c3",
                              solv_cache=cache)  # fmt: skip
        assert any("primary" in p for p in asked)  # new metadata: fetched
    finally:
        server.shutdown()
