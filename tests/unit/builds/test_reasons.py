from olivine.builds.reasons import failure_reason

BUILD_FAIL = [
    "Executing(%prep): /bin/bash -e /var/tmp/rpm-tmp.a",
    "+ exit 0",
    "Executing(%build): /bin/bash -e /var/tmp/rpm-tmp.b",
    "+ gcc -o x x.c",
    "x.c:3:1: error: expected ';' before '}' token",
    "error: Bad exit status from /var/tmp/rpm-tmp.b (%build)",
    "",
    "RPM build errors:",
    "    Bad exit status from /var/tmp/rpm-tmp.b (%build)",
]


def test_success_has_no_reason() -> None:
    assert failure_reason(["Wrote: x.rpm"], 0) is None


def test_build_failure_names_the_line() -> None:
    reason = failure_reason(BUILD_FAIL, 1)
    assert (
        reason
        == "%build failed at line 5 of the log: x.c:3:1: error: expected ';' before '}' token"
    )


def test_prep_failure_without_error_text_names_last_output() -> None:
    lines = ["Executing(%prep): /bin/bash", "+ false", "error: Bad exit status from /t (%prep)"]
    assert failure_reason(lines, 1) == "%prep failed at line 2 of the log: + false"


def test_missing_build_requires() -> None:
    lines = ["error: Failed build dependencies:", "\tfoo-devel >= 2 is needed by x-1-1.x86_64"]
    assert failure_reason(lines, 1) == "missing BuildRequires foo-devel >= 2"


def test_stopped_builds() -> None:
    assert failure_reason([], None, cancelled=True) == "cancelled"
    assert failure_reason([], None, timed_out=True, time_limit=60).startswith("timeout")
    assert "log size limit" in (failure_reason([], None, log_truncated=True) or "")


def test_other_rpmbuild_error() -> None:
    lines = ["error: line 3: Unknown tag: Foo: bar"]
    assert failure_reason(lines, 1) == "rpmbuild failed: line 3: Unknown tag: Foo: bar"
