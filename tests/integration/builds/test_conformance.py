"""Conformance (slow): with BuildRequires resolution off, fixture specs build through Olivine's
sandboxed build service at least as often as with plain `rpmbuild --nodeps`. A sample of the
795 ci-dnf-stack specs (every 8th) and all 67 rpm-4.18 specs; bench/build_conformance.py runs
every spec."""

from __future__ import annotations

import pytest

from .conformance import DNF_SPECS, Outcome, dnf_stack_cases, rpm_cases, run_cases

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DNF_SPECS.is_dir(), reason="shared fixtures missing"),
]


def _check(outcomes: list[Outcome]) -> None:
    ref = sum(o.reference_ok for o in outcomes)
    olv = sum(o.olivine_ok for o in outcomes)
    lost = [f"{o.case.name}: {o.reason}" for o in outcomes if o.reference_ok and not o.olivine_ok]
    print(f"\nconformance: olivine {olv}/{len(outcomes)}, rpmbuild --nodeps {ref}/{len(outcomes)}")
    assert olv >= ref, "\n".join(lost)
    assert not lost, "\n".join(lost)


def test_ci_dnf_stack_sample_builds_through_olivine() -> None:
    outcomes = run_cases(dnf_stack_cases(every=8))
    assert len(outcomes) >= 99
    _check(outcomes)


def test_rpm_418_specs_build_through_olivine() -> None:
    outcomes = run_cases(rpm_cases())
    assert len(outcomes) == 67
    assert sum(o.reference_ok for o in outcomes) >= 55  # SOURCES.md: 58 build on Debian
    _check(outcomes)
