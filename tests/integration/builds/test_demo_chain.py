"""The example library and program: built in dependency order, the program against the
project-built header and static library."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import rpm

from olivine.builds.rpminfo import rpm_info
from olivine.domain.scheduling import SrpmFacts, plan_batch

from .conftest import Builder, make_repo, spec, write_spec


def _extract(rpm_path: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    r2c = subprocess.Popen(["rpm2cpio", str(rpm_path)], stdout=subprocess.PIPE)
    subprocess.run(["cpio", "-idm", "--quiet"], stdin=r2c.stdout, cwd=dest, check=True)
    r2c.wait()
    return dest


def test_batch_order_puts_library_before_program(demo: dict[str, Any]) -> None:
    made = {
        r.info.name: SrpmFacts(list(r.info.build_requires), list(r.provides))
        for r in demo["srpms"].values()
    }
    plan = plan_batch(made)
    assert plan.deps == {"libgreet": [], "greet": ["libgreet"], "greet-doc": []}
    assert plan.cycles == []


def test_library_build_has_devel_static_lib_and_debuginfo(demo: dict[str, Any]) -> None:
    names = sorted(rpm_info(p).name for p in demo["lib"].rpms)
    assert names == ["libgreet", "libgreet-debuginfo", "libgreet-devel"]
    devel = next(p for p in demo["lib"].rpms if "-devel-" in p.name)
    assert devel.name == "libgreet-devel-1.0-1.el9.x86_64.rpm"
    files = subprocess.run(["rpm", "-qpl", str(devel)], capture_output=True, text=True).stdout
    assert "/usr/include/greet.h" in files and "/usr/lib64/libgreet.a" in files
    vendor = subprocess.run(
        ["rpm", "-qp", "--qf", "%{VENDOR}|%{PACKAGER}", str(devel)], capture_output=True, text=True
    ).stdout
    assert vendor == "Olivine|Olivine <build@example.org>"


def test_program_compiles_against_project_header_and_runs(demo: dict[str, Any]) -> None:
    prog = demo["prog"]
    assert prog.ok, prog.reason
    entries = {e.get("nevra") or e.get("name"): e for e in prog.buildroot}
    devel = entries["libgreet-devel-1.0-1.el9.x86_64"]
    assert devel["kind"] == "rpm" and len(devel["sha256"]) == 64 and devel["repo"] == "all"
    assert entries["gcc"]["kind"] == "host" and entries["gcc"]["version"]
    binary = next(p for p in prog.rpms if rpm_info(p).name == "greet")
    root = _extract(binary, demo["tmp"] / "greet-root")
    out = subprocess.run([str(root / "usr/bin/greet")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Hello from libgreet, built by Olivine (answer 42)"
    assert (
        "static"
        in subprocess.run(
            ["file", "-b", str(root / "usr/bin/greet")], capture_output=True, text=True
        ).stdout
    )
    assert "Build root:" in demo["prog_log"].text


def test_program_without_the_project_repo_is_missing_its_build_requires(
    demo: dict[str, Any],
) -> None:
    b: Builder = demo["builder"]
    res, _ = b.arch(demo["srpms"]["greet"], repos=())
    assert res.reason == "missing BuildRequires libgreet-devel"
    assert not res.rpms


def test_dynamic_link_requires_the_library_soname(demo: dict[str, Any]) -> None:
    b: Builder = demo["builder"]
    tree = write_spec(
        demo["tmp"] / "src",
        "greet-dyn",
        spec(
            "greet-dyn",
            header="BuildRequires: gcc\nBuildRequires: libgreet-devel\nSource0: main.c",
            sections="""%build
cp %{SOURCE0} .
gcc %{optflags} -o greet-dyn main.c -L%{_libdir} -lgreet

%install
install -D -m 0755 greet-dyn %{buildroot}%{_bindir}/greet-dyn""",
            files="%{_bindir}/greet-dyn",
        ),
        {
            "main.c": "#include <greet.h>\n#include <stdio.h>\n"
            "int main(void){puts(greet_message()); return GREET_ANSWER - 42;}\n"
        },
    )
    srpm, _ = b.srpm(tree)
    res, log = b.arch(srpm, repos=demo["repos"])
    assert res.ok, f"{res.reason}\n{log.text[-2000:]}"
    binary = next(p for p in res.rpms if rpm_info(p).name == "greet-dyn")
    assert "libgreet.so.1()(64bit)" in rpm_info(binary).requires


def test_noarch_package_builds_once_as_noarch(demo: dict[str, Any]) -> None:
    doc = demo["srpms"]["greet-doc"]
    assert doc.arches == ("noarch",) and doc.noarch
    b: Builder = demo["builder"]
    res, _ = b.arch(doc, arch="noarch")
    assert res.ok, res.reason
    assert [p.name for p in res.rpms] == ["greet-doc-1.0-1.el9.noarch.rpm"]


def test_srpm_header_carries_build_requires(demo: dict[str, Any]) -> None:
    info = demo["srpms"]["greet"].info
    assert "libgreet-devel" in info.build_requires
    assert demo["srpms"]["libgreet"].provides[:1] == ("libgreet = 1.0-1.el9",)
    assert rpm.labelCompare(("0", "1.0", "1"), ("0", info.version, "1")) == 0


def test_repo_of_program_is_installable_metadata(demo: dict[str, Any]) -> None:
    repo = make_repo(demo["tmp"] / "repos" / "prog", list(demo["prog"].rpms))
    assert (repo / "repodata" / "repomd.xml").is_file()


def test_program_builds_against_the_all_repo_served_over_http(demo: dict[str, Any]) -> None:
    import functools
    import http.server
    import ipaddress
    import threading

    from olivine.builds.resolve import RepoSource
    from olivine.fetch.policy import FetchPolicy

    all_dir = demo["repos"][0].path
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(all_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        b: Builder = demo["builder"]
        # the fetch policy must allow the loopback server (an administrator's ALLOW_NETS)
        policy = FetchPolicy(allow_nets=(ipaddress.ip_network("127.0.0.0/8"),))
        repo = RepoSource("all", url=url, project=True, policy=policy)
        res, log = b.arch(demo["srpms"]["greet"], repos=(repo,))
    finally:
        server.shutdown()
    assert res.ok, f"{res.reason}\n{log.text[-2000:]}"
    devel = next(e for e in res.buildroot if e.get("nevra", "").startswith("libgreet-devel"))
    assert devel["repo"] == "all" and len(devel["sha256"]) == 64
