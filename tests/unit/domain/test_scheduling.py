from olivine.domain.scheduling import (
    Schedule,
    SrpmFacts,
    by_depth,
    next_moves,
    plan_batch,
    same_facts,
    to_retry,
)


def _facts(reqs: list[str], prov: list[str]) -> SrpmFacts:
    return SrpmFacts(reqs, prov)


def test_chain_waits_level_by_level() -> None:
    plan = plan_batch(
        {
            "lib": _facts(["gcc"], ["lib", "lib-devel"]),
            "mid": _facts(["lib-devel"], ["mid", "mid-devel"]),
            "app": _facts(["mid-devel"], ["app"]),
        }
    )
    assert plan.deps == {"lib": [], "mid": ["lib"], "app": ["mid"]}
    assert plan.cycles == []


def test_cycle_members_do_not_wait_for_each_other() -> None:
    plan = plan_batch(
        {
            "a": _facts(["b-devel"], ["a", "a-devel"]),
            "b": _facts(["a-devel"], ["b", "b-devel"]),
            "c": _facts(["a-devel"], ["c"]),
        }
    )
    assert plan.cycles == [["a", "b"]]
    assert plan.deps == {"a": [], "b": [], "c": ["a"]}


def test_dependents_of_a_failed_srpm_wait_for_it_by_name_and_known_binaries() -> None:
    plan = plan_batch(
        {"app": _facts(["broken-devel"], ["app"]), "tool": _facts(["broken"], ["tool"])},
        failed=["broken"],
        known={"broken": ["broken", "broken-devel"]},
    )
    assert plan.deps["app"] == ["broken"] and plan.deps["tool"] == ["broken"]
    moves = next_moves(plan.deps, {"broken": "failed"}, {"app", "tool"})
    assert moves.start == []
    assert moves.skip == {
        "app": "dependency broken did not build",
        "tool": "dependency broken did not build",
    }


def test_next_moves_starts_what_is_ready_and_cascades_skips() -> None:
    deps = {"lib": [], "mid": ["lib"], "app": ["mid"], "other": []}
    first = next_moves(deps, {}, {"lib", "mid", "app", "other"})
    assert first.start == ["lib", "other"] and first.skip == {}
    after_fail = next_moves(deps, {"lib": "failed", "other": "built"}, {"mid", "app"})
    assert after_fail.skip == {"mid": "dependency lib did not build"} and after_fail.start == []
    cascade = next_moves(deps, {"lib": "failed", "mid": "skipped"}, {"app"})
    assert cascade.skip == {"app": "dependency mid did not build"}
    built = next_moves(deps, {"lib": "built"}, {"mid", "app"})
    assert built.start == ["mid"] and built.skip == {}


def test_retry_takes_every_item_not_done_in_batch_order() -> None:
    statuses = {"a": "built", "b": "failed", "c": "skipped", "d": "canceled", "e": "pending"}
    assert to_retry(statuses, {"built"}) == ["b", "c", "d", "e"]
    imports = {"x": "imported", "y": "unchanged", "z": "failed"}
    assert to_retry(imports, {"imported", "unchanged"}) == ["z"]


def test_schedule_defaults_are_empty() -> None:
    assert Schedule() == Schedule({}, [])


def test_same_facts_compares_the_names_that_order_a_batch() -> None:
    planned = SrpmFacts(["gcc", "libfoo-devel >= 1.2"], ["foo = 1.0-1", "foo-libs(x86-64)"])
    made = SrpmFacts(["libfoo-devel >= 1.3", "gcc"], ["foo-libs(x86-64) = 1.0-1", "foo"])
    assert same_facts("foo", planned, made)
    assert not same_facts("foo", planned, SrpmFacts(["gcc"], made.provides))
    assert not same_facts("foo", planned, SrpmFacts(made.build_requires, ["foo", "foo-extra"]))


def test_by_depth_puts_what_waits_for_nobody_first() -> None:
    deps = {"c": ["b"], "b": ["a"], "a": [], "z": [], "y": ["a", "c"]}
    assert by_depth(deps) == ["a", "z", "b", "c", "y"]
