import pytest

from olivine.domain.arches import plan_arches, queue_for, worker_queues
from olivine.errors import ValidationFailed

PROJECT = ["x86_64", "aarch64", "i686"]


def test_every_project_arch_without_restrictions() -> None:
    plan = plan_arches(PROJECT)
    assert plan.arches == ("x86_64", "aarch64", "i686")
    assert not plan.noarch


def test_exclusive_arch_intersects_project_arches() -> None:
    plan = plan_arches(PROJECT, exclusive=["x86_64", "ppc64le"])
    assert plan.arches == ("x86_64",)
    assert "ExclusiveArch" in plan.excluded["aarch64"]


def test_exclude_arch_removes_arches() -> None:
    plan = plan_arches(PROJECT, exclude=["aarch64"])
    assert plan.arches == ("x86_64", "i686")
    assert plan.excluded["aarch64"].startswith("ExcludeArch")


def test_ix86_names_in_exclusive_arch_match_i686() -> None:
    plan = plan_arches(PROJECT, exclusive=["i386", "i486", "i586", "i686", "x86_64"])
    assert plan.arches == ("x86_64", "i686")


def test_noarch_builds_once() -> None:
    plan = plan_arches(PROJECT, build_archs=["noarch"])
    assert plan.arches == ("noarch",)
    assert plan.noarch
    assert plan.queues() == {"noarch": "olivine-build-noarch"}


def test_noarch_with_exclusive_arch_outside_project_fails() -> None:
    with pytest.raises(ValidationFailed, match="builds for none"):
        plan_arches(["x86_64"], build_archs=["noarch"], exclusive=["s390x"])


def test_package_arches_narrow_the_project() -> None:
    plan = plan_arches(PROJECT, package_arches=["aarch64"])
    assert plan.arches == ("aarch64",)
    assert "package's arches" in plan.excluded["x86_64"]


def test_no_arch_left_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match=r"demo builds for none.*ExclusiveArch: s390x"):
        plan_arches(["x86_64"], exclusive=["s390x"], package="demo")


def test_queues_x86_64_workers_serve_i686_and_noarch() -> None:
    assert queue_for("aarch64") == "olivine-build-aarch64"
    assert worker_queues("x86_64") == [
        "olivine-build-x86_64",
        "olivine-build-i686",
        "olivine-build-noarch",
    ]
    assert worker_queues("aarch64") == ["olivine-build-aarch64"]
