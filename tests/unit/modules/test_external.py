from __future__ import annotations

from olivine.modules.external import (
    ExternalStream,
    RepoModules,
    depends_on_modules,
    enable,
    mask,
    merge_catalogs,
    nevra,
)
from olivine.modules.model import Component, Dependency, ModuleSource, Variant

MODS = RepoModules(
    (
        ExternalStream(
            "r", "nodejs", "10", frozenset({"nodejs-1:10-1.x86_64", "npm-1:10-1.x86_64"})
        ),
        ExternalStream("r", "nodejs", "8", frozenset({"nodejs-1:8-1.x86_64"})),
        ExternalStream("r", "perl", "5", frozenset({"perl-5-1.x86_64", "npm-1:10-1.x86_64"})),
    ),
    {"nodejs": "8"},
)


def test_nevra_as_libsolv_prints_it() -> None:
    assert nevra("nodejs-1:10.11.0-1.module_2200+adbac02b.x86_64") == (
        "nodejs-1:10.11.0-1.module_2200+adbac02b.x86_64"
    )
    assert nevra("ninja-build-0:1.8.2-4.module_1991+4e5efe2f.src") == (
        "ninja-build-1.8.2-4.module_1991+4e5efe2f.src"
    )


def test_hidden_all_but_the_enabled_or_default_streams() -> None:
    on10 = mask(MODS, {"nodejs": "10"})
    assert on10.hidden == {"nodejs-1:8-1.x86_64", "perl-5-1.x86_64"}
    assert on10.enabled_names == {"nodejs", "npm"}
    assert on10.modular == {a for s in MODS.streams for a in s.artifacts}
    # no stream given: the defaults; an artifact of an enabled stream stays whoever else has it
    defaults = mask(MODS, None)
    assert defaults.hidden == {"nodejs-1:10-1.x86_64", "npm-1:10-1.x86_64", "perl-5-1.x86_64"}
    assert defaults.enabled_names == {"nodejs"}
    assert mask(RepoModules(), None).hidden == frozenset()


def _src(*deps: Dependency) -> ModuleSource:
    return ModuleSource("m", "1", "s", "d", ("MIT",), (Component("a", "r"),), (Variant(deps),))


def test_external_repos_are_read_only_for_modules_depending_on_modules() -> None:
    assert not depends_on_modules(_src(Dependency({"platform": ("el9",)}, {"platform": ()})))
    assert depends_on_modules(_src(Dependency({"platform": ("el9",)}, {"nodejs": ("10",)})))
    assert merge_catalogs([{"nodejs": ("8",)}, {"nodejs": ("10", "8"), "perl": ("5",)}]) == {
        "nodejs": ("10", "8"),
        "perl": ("5",),
    }


def test_enable_follows_runtime_requires_recursively() -> None:
    reqs = {("app", "1"): {"lib": "2"}, ("lib", "2"): {"base": "9", "app": "7"}}
    got = enable({"app": "1"}, lambda n, st: reqs.get((n, st), {}))
    assert got == {"app": "1", "lib": "2", "base": "9"}  # app keeps the stream it was given
    assert enable({"lib": "1"}, lambda n, st: reqs.get((n, st), {})) == {"lib": "1"}


def test_mask_enables_what_the_enabled_streams_require() -> None:
    mods = RepoModules(
        (
            ExternalStream("r", "app", "1", frozenset({"app-1-1.noarch"}), {"lib": "2"}),
            ExternalStream("r", "lib", "1", frozenset({"libx-1-1.noarch"})),
            ExternalStream("r", "lib", "2", frozenset({"libx-2-1.noarch"})),
        )
    )
    assert mask(mods, {"app": "1"}).hidden == {"libx-1-1.noarch"}
    assert mask(mods, {"app": "1", "lib": "1"}).hidden == {"libx-2-1.noarch"}  # chosen first
