import gzip
import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import createrepo_c as cr
import pytest
import zstandard
from sqlalchemy import func, select

from olivine.db.base import Database
from olivine.db.models.repos import RepoChunk
from olivine.errors import NotFound, ValidationFailed
from olivine.repos import metadata
from olivine.repos.artifacts import ingest_rpm
from olivine.repos.export import write_repo_tree
from olivine.repos.publish import publish_project
from olivine.repos.revisions import diff_revisions, list_repos, list_revisions, rollback
from olivine.repos.service import set_repo_extras
from olivine.storage.fs import FsStore
from tests.unit.repos.helpers import PULP, make_project, pulp_rpms, set_spec

REPO_NS = {"r": "http://linux.duke.edu/metadata/repo"}


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "CHUNK_AVERAGE", 4)  # several chunks even for a few packages


def names_in(tree: Path) -> list[str]:
    md = cr.Metadata()
    md.locate_and_load_xml(str(tree))
    return sorted(f"{md.get(k).name}-{md.get(k).version}" for k in md.keys())  # noqa: SIM118


def ingest(db: Database, store: FsStore, pid: int, paths: list[Path]) -> None:
    for p in paths:
        ingest_rpm(db, store, p, pid)


def test_published_repo_reads_back_with_createrepo_c_and_checksums_hold(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    ingest(db, fs_store, pid, pulp_rpms())
    publish_project(db, fs_store, pid)
    tree = write_repo_tree(db, fs_store, "el9", "BaseOS", "x86_64", tmp_path / "t")
    expected = sorted("-".join(p.name.split("-")[:-1]) for p in pulp_rpms())
    assert names_in(tree) == expected
    repomd = ET.parse(tree / "repodata" / "repomd.xml").getroot()
    for data in repomd.findall("r:data", REPO_NS):
        href = data.find("r:location", REPO_NS).get("href")  # type: ignore[union-attr]
        raw = (tree / href).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == data.findtext("r:checksum", namespaces=REPO_NS)
        assert int(data.findtext("r:size", namespaces=REPO_NS) or 0) == len(raw)
        opened = gzip.decompress(raw)  # many members, one stream
        assert hashlib.sha256(opened).hexdigest() == data.findtext(
            "r:open-checksum", namespaces=REPO_NS
        )
        assert int(data.findtext("r:open-size", namespaces=REPO_NS) or 0) == len(opened)
        assert f'packages="{len(expected)}"'.encode() in opened[:400]
        assert raw.count(b"\x1f\x8b\x08") > 3  # header + several chunks + footer


def test_adding_one_package_makes_one_new_chunk_and_a_new_revision(
    db: Database, fs_store: FsStore
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    rpms = pulp_rpms()
    ingest(db, fs_store, pid, rpms[:-1])
    publish_project(db, fs_store, pid, repos=["BaseOS"])
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(RepoChunk))
    ingest(db, fs_store, pid, rpms[-1:])
    result = publish_project(db, fs_store, pid, repos=["BaseOS"])
    made = {f"{r.repository}/{r.arch}": r for r in result.revisions}
    assert set(made) == {"BaseOS/x86_64"}  # source and debug did not change
    assert made["BaseOS/x86_64"].number == 2 and made["BaseOS/x86_64"].added == 1
    with db.session() as s:
        after = s.scalar(select(func.count()).select_from(RepoChunk))
    assert after is not None and before is not None and 1 <= after - before <= 2
    assert publish_project(db, fs_store, pid).revisions == [] or all(
        r.repository == "all" for r in publish_project(db, fs_store, pid).revisions
    )
    again = publish_project(db, fs_store, pid)
    assert again.revisions == [] and "BaseOS/x86_64" in again.unchanged


def test_revisions_diff_rollback_and_retention(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    pid = make_project(db, repositories=[{"name": "BaseOS", "retention": 2}])
    ingest(db, fs_store, pid, pulp_rpms("bear"))
    publish_project(db, fs_store, pid)
    ingest(db, fs_store, pid, pulp_rpms("cat"))
    publish_project(db, fs_store, pid)
    ingest(db, fs_store, pid, pulp_rpms("dog"))
    publish_project(db, fs_store, pid)
    revs = list_revisions(db, "el9", "BaseOS", "x86_64")
    assert [r.number for r in revs] == [3, 2]  # retention 2 pruned revision 1
    assert revs[0].current and revs[0].package_count == 3
    d = diff_revisions(db, "el9", "BaseOS", "x86_64", 2, 3)
    assert d.added == ["dog-4.23-1.noarch"] and d.removed == []
    assert rollback(db, "el9", "BaseOS", 2, "x86_64") == ["x86_64"]
    tree = write_repo_tree(db, fs_store, "el9", "BaseOS", "x86_64", tmp_path / "rb")
    assert names_in(tree) == ["bear-4.1", "cat-1.0"]
    repos = {r.name: r for r in list_repos(db, "el9")}
    assert repos["BaseOS"].arches["x86_64"] == 2 and "all" in repos
    with pytest.raises(NotFound):
        rollback(db, "el9", "BaseOS", 1, "x86_64")
    # the next publish moves forward again, as a new revision
    made = publish_project(db, fs_store, pid, repos=["BaseOS"]).revisions
    assert [(m.arch, m.number, m.added) for m in made] == [("x86_64", 4, 1)]


def test_filter_change_republishes_and_keep_applies(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    pid = make_project(db, repositories=[{"name": "Zoo"}])
    ingest(db, fs_store, pid, pulp_rpms("duck", "walrus", "kangaroo", "zebra"))
    publish_project(db, fs_store, pid)
    set_spec(db, pid, repositories=[{"name": "Zoo", "keep": 1, "exclude": {"*": ["zebra"]}}])
    made = publish_project(db, fs_store, pid).revisions
    assert [(m.repository, m.arch) for m in made] == [("Zoo", "x86_64")]
    tree = write_repo_tree(db, fs_store, "el9", "Zoo", "x86_64", tmp_path / "z")
    assert names_in(tree) == ["duck-0.8", "kangaroo-0.3", "walrus-5.21"]


def test_zstd_comps_updateinfo_and_modules(db: Database, fs_store: FsStore, tmp_path: Path) -> None:
    pid = make_project(db, repositories=[{"name": "AppStream", "compress": "zstd"}])
    ingest(db, fs_store, pid, pulp_rpms("duck", "kangaroo", "walrus"))
    publish_project(db, fs_store, pid)
    extras = {
        "comps": (PULP / "comps.xml").read_text(),
        "updateinfo": (PULP / "updateinfo.xml").read_text(),
        "modules": (PULP / "modules.yaml").read_text(),
    }
    set_repo_extras(db, "el9", "AppStream", extras)
    with pytest.raises(ValidationFailed):
        set_repo_extras(db, "el9", "AppStream", {"prestodelta": "x"})
    made = publish_project(db, fs_store, pid).revisions
    assert [(m.repository, m.arch, m.added) for m in made] == [("AppStream", "x86_64", 0)] or len(
        made
    ) >= 1
    tree = write_repo_tree(db, fs_store, "el9", "AppStream", "x86_64", tmp_path / "a")
    repomd = ET.parse(tree / "repodata" / "repomd.xml").getroot()
    types = {
        d.get("type"): d.find("r:location", REPO_NS).get("href")
        for d in repomd.findall("r:data", REPO_NS)
    }  # type: ignore[union-attr]
    assert {"primary", "filelists", "other", "group", "group_zst", "updateinfo", "modules"} <= set(
        types
    )
    assert str(types["primary"]).endswith("-primary.xml.zst")
    with open(tree / str(types["primary"]), "rb") as f:
        text = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    assert text.count(b"<package ") == 7 and text.rstrip().endswith(b"</metadata>")
    assert (tree / str(types["group"])).read_text() == (PULP / "comps.xml").read_text()
    with open(tree / str(types["modules"]), "rb") as f:
        modules = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    assert b"duck" in modules


def test_libsolv_reads_the_multi_member_files(
    db: Database, fs_store: FsStore, tmp_path: Path
) -> None:
    solv = pytest.importorskip("solv")
    pid = make_project(db, repositories=[{"name": "BaseOS"}])
    ingest(db, fs_store, pid, pulp_rpms())
    publish_project(db, fs_store, pid)
    tree = write_repo_tree(db, fs_store, "el9", "BaseOS", "x86_64", tmp_path / "s")
    repomd = ET.parse(tree / "repodata" / "repomd.xml").getroot()
    hrefs = {
        d.get("type"): d.find("r:location", REPO_NS).get("href")  # type: ignore[union-attr]
        for d in repomd.findall("r:data", REPO_NS)
    }
    pool = solv.Pool()
    pool.setarch("x86_64")
    repo = pool.add_repo("olivine")
    f = solv.xfopen(str(tree / str(hrefs["primary"])))
    assert repo.add_rpmmd(f, None)
    f.close()
    f = solv.xfopen(str(tree / str(hrefs["filelists"])))
    assert repo.add_rpmmd(f, "FL", solv.Repo.REPO_EXTEND_SOLVABLES)
    f.close()
    names = sorted(s.name for s in repo.solvables)
    assert len(names) == len(pulp_rpms()) and "bear" in names
    pool.createwhatprovides()
    owners = pool.select("/tmp/bear.txt", solv.Selection.SELECTION_FILELIST).solvables()
    assert [s.name for s in owners] == ["bear"]  # the filelists members were read too
