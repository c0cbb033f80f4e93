"""An external repository's modules, read from its repodata (modules.yaml in any compression
modifyrepo_c writes, over HTTP under the fetch policy) by libmodulemd: their streams are what a
module build can depend on, and a build's BuildRequires resolution sees only the packages of
the streams it is given (a module component: those it builds against; any other build: the
repository's default streams), as dnf's modular filtering."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest

from olivine.builds.resolve import (
    ModularMask,
    RepoSource,
    UnresolvableBuildRequires,
    resolve_buildroot,
)
from olivine.errors import UpstreamError, ValidationFailed
from olivine.fetch.policy import FetchPolicy
from olivine.modules import external
from olivine.projects.schema import ProjectFile
from tests.integration.imports.helpers import serve_dir
from tests.integration.modules.extrepo import modular_repo
from tests.integration.repos.conftest import RpmFactory

LOOPBACK = FetchPolicy(allow_nets=(ipaddress.ip_network("127.0.0.0/8"),))
NODEJS_10 = "nodejs-devel-1:10.11.0-1.module_2200+adbac02b.x86_64"


def _pf(url: str) -> ProjectFile:
    return ProjectFile(
        name="ext", arches=["x86_64"], external_repos=[{"name": "appstream", "url": url}]
    )


@pytest.mark.parametrize("compress", ["gz", "zstd", "xz"])
def test_streams_of_an_external_repo_over_http(tmp_path: Path, compress: str) -> None:
    repo = modular_repo(tmp_path / "repo" / "x86_64", compress)
    with serve_dir(tmp_path / "repo") as url:
        [mods] = external.external_modules(_pf(url + "/$basearch/"), LOOPBACK, tmp_path / "c")
    assert mods.catalog() == {
        "dwm": ("6.0",),
        "meson": ("master",),
        "ninja": ("development", "legacy", "master"),
        "nodejs": ("10", "11", "5", "8"),
        "postgresql": ("6", "9.6"),
    }
    assert mods.defaults == {"nodejs": "8", "postgresql": "9.6", "meson": "master",
                             "ninja": "master"}  # fmt: skip
    [n10] = [s for s in mods.streams if (s.name, s.stream) == ("nodejs", "10")]
    assert NODEJS_10.replace("-devel", "") in n10.artifacts
    assert (tmp_path / "c").is_dir() and not list((tmp_path / "c").rglob("primary.xml*"))
    assert repo.is_dir()


def test_a_repo_without_modules_and_a_refused_url(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (tmp_path / "nothing-here").mkdir()
    subprocess.run(["createrepo_c", "--no-database", str(plain)], check=True, capture_output=True)
    policy = FetchPolicy(file_roots=(tmp_path,))
    [mods] = external.external_modules(_pf(plain.as_uri()), policy, tmp_path / "c")
    assert mods.catalog() == {}
    with pytest.raises(ValidationFailed, match="OLIVINE_FETCH_FILE_ROOTS"):
        external.external_modules(_pf(plain.as_uri()), FetchPolicy(), tmp_path / "c2")
    missing = pytest.raises(UpstreamError, match=r"^external repository appstream: GET .*404")
    with serve_dir(tmp_path / "nothing-here") as url, missing:
        external.external_modules(_pf(url + "/"), LOOPBACK, tmp_path / "c3")


def _chosen(
    repo: Path, enabled: dict[str, str] | None, filtered: bool = True, plain: Path | None = None
) -> list[str]:
    def of(local: Path) -> ModularMask:
        return external.mask(external.read_repo(local, "appstream"), enabled)

    repos = [RepoSource("appstream", repo, modular=of if filtered else None)]
    if plain is not None:  # the project's own `all`: no modular package
        repos.insert(0, RepoSource("all", plain, project=True))
    rec = resolve_buildroot(["nodejs-devel"], repos, [], "x86_64", repo.parent / "cache")
    got = [e for e in rec.entries if e.get("kind") == "rpm"]
    nodejs = [e["nevra"] for e in got if e["nevra"].startswith("nodejs-1:")]
    devel = [e["nevra"] for e in got if e["nevra"].startswith("nodejs-devel-")]
    assert [n.split("-", 1)[1] for n in nodejs] == [  # its nodejs: of the same stream
        d.split("-", 2)[2] for d in devel if ":" in d
    ]
    return devel


def test_resolution_sees_only_the_enabled_streams(tmp_path: Path) -> None:
    repo = modular_repo(tmp_path / "repo", "zstd")
    assert _chosen(repo, None, filtered=False) == [
        "nodejs-devel-1:11.0.0-1.module_2311+8d497411.x86_64"  # unfiltered: the highest EVR
    ]
    assert _chosen(repo, {"nodejs": "10"}) == [NODEJS_10]  # a module built against nodejs:10
    assert _chosen(repo, None) == [  # a non-modular build: the default stream, 8
        "nodejs-devel-1:8.11.4-1.module_2030+42747d40.x86_64"
    ]
    with pytest.raises(UnresolvableBuildRequires, match="nodejs-devel"):
        _chosen(repo, {"postgresql": "9.6"})  # nodejs not enabled: none of its streams


def test_a_non_modular_package_of_an_enabled_streams_name_is_hidden(
    tmp_path: Path, make_rpm: RpmFactory
) -> None:
    """A non-modular nodejs-devel 99 in the project's preferred `all` is hidden while a nodejs
    stream is enabled (dnf's rule), and chosen when none is."""
    plain = tmp_path / "all"
    plain.mkdir()
    shutil.copy(make_rpm("nodejs-devel", "99"), plain)
    subprocess.run(["createrepo_c", "--no-database", str(plain)], check=True, capture_output=True)
    repo = modular_repo(tmp_path / "repo", "gz")
    assert _chosen(repo, {"nodejs": "10"}, plain=plain) == [NODEJS_10]
    assert _chosen(repo, None, plain=plain) == [
        "nodejs-devel-1:8.11.4-1.module_2030+42747d40.x86_64"
    ]
    assert _chosen(repo, {"postgresql": "9.6"}, plain=plain) == ["nodejs-devel-99-1.noarch"]
    assert _chosen(repo, None, filtered=False, plain=plain) == ["nodejs-devel-99-1.noarch"]


def test_a_document_libmodulemd_refuses_names_the_repo(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("document: modulemd\nversion: 2\ndata: {name: x}\n")
    with pytest.raises(ValidationFailed, match=r"external repository appstream: .*[Ss]ummary"):
        external.parse(external.read_text(bad, "appstream"), "appstream")


CHAIN = """\
---
document: modulemd
version: 2
data:
  name: app
  stream: "1"
  version: 1
  context: c0ffee01
  arch: noarch
  summary: needs lib:2 at run time
  description: app
  license: {module: [MIT]}
  dependencies:
  - requires: {lib: ["2"], platform: [el9]}
  artifacts: {rpms: [appx-0:1.0-1.noarch]}
...
---
document: modulemd
version: 2
data:
  name: lib
  stream: "1"
  version: 1
  context: c0ffee01
  arch: noarch
  summary: lib one
  description: lib
  license: {module: [MIT]}
  artifacts: {rpms: [libx-0:1.0-1.noarch]}
...
---
document: modulemd
version: 2
data:
  name: lib
  stream: "2"
  version: 1
  context: c0ffee01
  arch: noarch
  summary: lib two
  description: lib
  license: {module: [MIT]}
  artifacts: {rpms: [libx-0:2.0-1.noarch]}
...
"""


def test_a_buildrequired_streams_runtime_requires_are_enabled(
    tmp_path: Path, make_rpm: RpmFactory
) -> None:
    """As MBS makes a build root: building against app:1 also enables lib:2, which app:1
    requires at run time, so libx 2.0 is what a BuildRequires on libx gets (not 1.0, and not
    nothing)."""
    repo = tmp_path / "chain"
    repo.mkdir()
    for name, version in (("appx", "1.0"), ("libx", "1.0"), ("libx", "2.0")):
        shutil.copy(make_rpm(name, version), repo)
    subprocess.run(["createrepo_c", "--no-database", str(repo)], check=True, capture_output=True)
    doc = tmp_path / "modules.yaml"
    doc.write_text(CHAIN)
    subprocess.run(["modifyrepo_c", "--mdtype=modules", str(doc), str(repo / "repodata")],
                   check=True, capture_output=True)  # fmt: skip

    def resolve(enabled: dict[str, str]) -> list[str]:
        def of(local: Path) -> ModularMask:
            return external.mask(external.read_repo(local, "chain"), enabled)

        src = RepoSource("chain", repo, modular=of)
        rec = resolve_buildroot(["libx"], [src], [], "x86_64", tmp_path / "cache")
        return [e["nevra"] for e in rec.entries if e.get("kind") == "rpm"]

    assert resolve({"app": "1"}) == ["libx-2.0-1.noarch"]
    assert resolve({"lib": "1"}) == ["libx-1.0-1.noarch"]
    with pytest.raises(UnresolvableBuildRequires, match="libx"):
        resolve({"other": "1"})
