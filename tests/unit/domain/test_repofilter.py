from olivine.domain.repofilter import PackageRecord, RepoFilter, repo_arches, select

_n = 0


def rec(
    name: str,
    arch: str,
    ver: str = "1.0",
    rel: str = "1",
    src: str | None = None,
    runtime: bool = False,
    devel: bool = False,
    epoch: int = 0,
) -> PackageRecord:
    global _n
    _n += 1
    return PackageRecord(_n, name, epoch, ver, rel, arch, src or name, runtime, devel, f"{_n:064x}")


def names(recs: list[PackageRecord]) -> list[str]:
    return sorted(f"{r.name}-{r.version}.{r.arch}" for r in recs)


def test_repo_arches() -> None:
    assert repo_arches(["x86_64", "aarch64"]) == [
        "x86_64",
        "aarch64",
        "source",
        "x86_64-debug",
        "aarch64-debug",
    ]


def test_noarch_in_every_arch_source_and_debug_split() -> None:
    recs = [
        rec("bash", "x86_64"),
        rec("bash", "aarch64"),
        rec("docs", "noarch", src="bash"),
        rec("bash", "src"),
        rec("bash-debuginfo", "x86_64", src="bash"),
        rec("bash-debugsource", "aarch64", src="bash"),
    ]
    out = select(RepoFilter.from_spec({"name": "BaseOS"}), ["x86_64", "aarch64"], recs)
    assert names(out["x86_64"]) == ["bash-1.0.x86_64", "docs-1.0.noarch"]
    assert names(out["aarch64"]) == ["bash-1.0.aarch64", "docs-1.0.noarch"]
    assert names(out["source"]) == ["bash-1.0.src"]
    assert names(out["x86_64-debug"]) == ["bash-debuginfo-1.0.x86_64"]
    assert names(out["aarch64-debug"]) == ["bash-debugsource-1.0.aarch64"]


def test_package_list_include_and_exclude_globs_per_arch() -> None:
    recs = [
        rec("bash", "x86_64"),
        rec("bash-doc", "x86_64", src="bash"),
        rec("zsh", "x86_64"),
        rec("java-x", "s390x"),
        rec("java-y", "s390x"),
        rec("bash", "s390x"),
    ]
    spec = {
        "name": "R",
        "packages": ["bash", "java-x", "java-y"],
        "include": {"*": ["bash*", "java-*"]},
        "exclude": {"s390x": ["java-*"], "x86_64": ["*-doc"]},
    }
    out = select(RepoFilter.from_spec(spec), ["x86_64", "s390x"], recs)
    assert names(out["x86_64"]) == ["bash-1.0.x86_64"]
    assert names(out["s390x"]) == ["bash-1.0.s390x"]


def test_keep_newest_n_by_rpm_version_order() -> None:
    recs = [
        rec("a", "x86_64", "1.9"),
        rec("a", "x86_64", "1.10"),
        rec("a", "x86_64", "1.2"),
        rec("a", "x86_64", "0.1", epoch=1),
        rec("b", "noarch", "2"),
    ]
    out = select(RepoFilter.from_spec({"name": "R", "keep": 2}), ["x86_64"], recs)
    assert sorted((r.epoch, r.version) for r in out["x86_64"] if r.name == "a") == [
        (0, "1.10"),
        (1, "0.1"),
    ]
    everything = select(RepoFilter.from_spec({"name": "R", "keep": "all"}), ["x86_64"], recs)
    assert len(everything["x86_64"]) == 5


def test_multilib_runtime_devel_additional_and_excluded() -> None:
    recs = [
        rec("glibc", "x86_64"),
        rec("glibc", "i686", runtime=True),
        rec("glibc-devel", "i686", devel=True),
        rec("tool", "i686"),
        rec("extra", "i686"),
        rec("libbad", "i686", runtime=True),
        rec("glibc-debuginfo", "i686", src="glibc"),
        rec("tool-debuginfo", "i686", src="tool"),
    ]
    spec = {
        "name": "R",
        "multilib": ["x86_64"],
        "additional_multilib": ["extra"],
        "exclude_multilib": ["libbad"],
    }
    out = select(RepoFilter.from_spec(spec), ["x86_64", "aarch64"], recs)
    assert names(out["x86_64"]) == [
        "extra-1.0.i686",
        "glibc-1.0.i686",
        "glibc-1.0.x86_64",
        "glibc-devel-1.0.i686",
    ]
    assert names(out["x86_64-debug"]) == ["glibc-debuginfo-1.0.i686"]
    assert out["aarch64"] == []
    no_ml = select(RepoFilter.from_spec({"name": "R"}), ["x86_64"], recs)
    assert names(no_ml["x86_64"]) == ["glibc-1.0.x86_64"]


def test_all_repo_holds_everything() -> None:
    recs = [
        rec("a", "x86_64"),
        rec("a", "i686"),
        rec("a", "src"),
        rec("a-debuginfo", "i686", src="a"),
    ]
    out = select(RepoFilter.all_repo(), ["x86_64"], recs)
    assert names(out["x86_64"]) == ["a-1.0.i686", "a-1.0.x86_64"]
    assert names(out["source"]) == ["a-1.0.src"]
    assert names(out["x86_64-debug"]) == ["a-debuginfo-1.0.i686"]
