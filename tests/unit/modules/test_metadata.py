from __future__ import annotations

import dataclasses

import yaml

from olivine.modules.metadata import (
    BuiltRpm,
    ComponentResult,
    DefaultSpec,
    ObsoleteSpec,
    arch_documents,
    merge,
    write,
)
from olivine.modules.nsvc import platform_of
from olivine.modules.plan import plan
from olivine.modules.source import read_source
from tests.unit.modules.strict import strict_ok
from tests.unit.modules.test_source import GOOD

SOURCE = read_source(
    GOOD.replace("  components:", "  filter:\n    rpms: [liba-devel]\n  components:").replace(
        "        buildorder: 1\n", "        buildorder: 1\n        multilib: [x86_64]\n"
    ),
    "demo",
    "1.0",
)
PLAN = plan(SOURCE, {}, platform_of("el", 9, 4), 1_700_000_000)


def _rpm(name: str, arch: str, src: str, lic: str = "MIT") -> BuiltRpm:
    return BuiltRpm(name, 0, "1.0", "1.module+el9.4.0+1+abcdef01", arch, src, lic)


RESULTS = (
    ComponentResult(
        "liba",
        "a" * 40,
        11,
        (
            _rpm("liba", "x86_64", "liba"),
            _rpm("liba", "i686", "liba"),
            _rpm("liba-devel", "x86_64", "liba"),
            _rpm("liba", "src", "liba"),
        ),
    ),
    ComponentResult("tool", "b" * 40, 12, (_rpm("tool", "noarch", "tool", "GPL-2.0-or-later"),)),
)


def _data(text: str) -> dict:
    return next(d for d in yaml.safe_load_all(text) if d)["data"]


def test_final_document_of_one_arch() -> None:
    docs = arch_documents(SOURCE, PLAN.contexts[0], "x86_64", RESULTS, "c" * 40)
    assert docs is not None
    data = _data(docs.module)
    nsvc = PLAN.contexts[0].nsvc
    assert (data["name"], data["stream"], data["version"], data["context"], data["arch"]) == (
        "demo",
        "1.0",
        nsvc.version,
        nsvc.context,
        "x86_64",
    )
    assert data["artifacts"]["rpms"] == [
        "liba-0:1.0-1.module+el9.4.0+1+abcdef01.i686",  # multilib: [x86_64]
        "liba-0:1.0-1.module+el9.4.0+1+abcdef01.src",
        "liba-0:1.0-1.module+el9.4.0+1+abcdef01.x86_64",
        "tool-0:1.0-1.module+el9.4.0+1+abcdef01.noarch",
    ]
    assert data["license"]["content"] == ["GPL-2.0-or-later", "MIT"]
    assert data["dependencies"] == [
        {"buildrequires": {"platform": ["el9.4.0"]}, "requires": {"platform": ["el9"]}}
    ]
    xmd = data["xmd"]
    assert xmd["mbs"]["rpms"]["liba"]["ref"] == "a" * 40
    assert xmd["olivine"]["components"]["tool"] == {"commit": "b" * 40, "build": 12}
    assert data["components"]["rpms"]["tool"]["ref"] == "b" * 40
    assert strict_ok(docs.module) == (True, "")


def test_filtered_packages_go_to_the_devel_stream() -> None:
    docs = arch_documents(SOURCE, PLAN.contexts[0], "x86_64", RESULTS, "c" * 40)
    assert docs is not None and docs.devel is not None
    devel = _data(docs.devel)
    assert devel["name"] == "demo-devel"
    assert devel["artifacts"]["rpms"] == ["liba-devel-0:1.0-1.module+el9.4.0+1+abcdef01.x86_64"]
    assert "filter" not in devel
    assert strict_ok(docs.devel)[0]


def test_other_arch_and_arch_rules() -> None:
    docs = arch_documents(SOURCE, PLAN.contexts[0], "aarch64", RESULTS, "c" * 40)
    assert docs is not None
    assert "liba-0:1.0-1.module+el9.4.0+1+abcdef01.i686" not in docs.artifacts
    only_x86 = dataclasses.replace(SOURCE, arches=("x86_64",))
    assert arch_documents(only_x86, PLAN.contexts[0], "aarch64", RESULTS, "c") is None


def test_whitelist_replaces_component_names() -> None:
    stranger = ComponentResult("tool", "b" * 40, 12, (_rpm("x", "noarch", "other-srpm"),))
    docs = arch_documents(SOURCE, PLAN.contexts[0], "x86_64", (stranger,), "c")
    assert docs is not None and docs.artifacts == ()
    allowed = dataclasses.replace(SOURCE, whitelist=("other-srpm",))
    docs = arch_documents(allowed, PLAN.contexts[0], "x86_64", (stranger,), "c")
    assert docs is not None and len(docs.artifacts) == 1


def test_defaults_and_obsoletes_validate_strict() -> None:
    text = write(
        defaults=[DefaultSpec("demo", "1.0", {"1.0": ["common"]})],
        obsoletes=[ObsoleteSpec("demo", "0.9", 202401010000, "use 1.0", None, ("demo", "1.0"))],
    )
    docs = [d for d in yaml.safe_load_all(text) if d]
    kinds = sorted(d["document"] for d in docs)
    assert kinds == ["modulemd-defaults", "modulemd-obsoletes"]
    defaults = next(d for d in docs if d["document"] == "modulemd-defaults")["data"]
    # libmodulemd writes stream names unquoted: YAML reads `1.0` back as a number
    assert str(defaults["stream"]) == "1.0"
    assert {str(k): v for k, v in defaults["profiles"].items()} == {"1.0": ["common"]}
    assert strict_ok(text) == (True, "")


def test_merge_puts_several_streams_and_defaults_in_one_index() -> None:
    one = arch_documents(SOURCE, PLAN.contexts[0], "x86_64", RESULTS, "c")
    other = read_source(GOOD, "demo", "2.0")
    two = arch_documents(
        other, plan(other, {}, PLAN.platform, 1).contexts[0], "x86_64", RESULTS, "c"
    )
    assert one is not None and two is not None
    text = merge([one.module, two.module], [DefaultSpec("demo", "2.0")])
    streams = sorted(str(d["data"].get("stream")) for d in yaml.safe_load_all(text) if d)
    assert streams == ["1.0", "2.0", "2.0"]  # two streams + the defaults' stream
    assert strict_ok(text)[0]
