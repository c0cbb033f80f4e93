"""The default backend: rpmbuild in the bubblewrap sandbox. `rpmbuild -bs` makes the SRPM,
`rpmbuild --rebuild --target ARCH` each arch build. --nodeps always: Debian's rpm database is
empty, so BuildRequires are checked by builds/resolve.py (libsolv) before the arch build."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from olivine.builds.interfaces import CancelFn, Limits, LogFn, StageResult
from olivine.builds.macros import MacroSet
from olivine.builds.reasons import failure_reason
from olivine.builds.sandbox import SANDBOX_HOME, SandboxSpec, run_sandboxed

TOPDIR = f"{SANDBOX_HOME}/rpmbuild"
PROVIDES_FILE = "provides.txt"
_DIRS = ("SPECS", "SOURCES", "BUILD", "BUILDROOT", "RPMS", "SRPMS")


def _prepare(workdir: Path, macros: MacroSet) -> Path:
    """The build directory bound at /build: HOME with .rpmmacros, and the rpmbuild topdir."""
    build = workdir / "build"
    for d in _DIRS:
        (build / "rpmbuild" / d).mkdir(parents=True, exist_ok=True)
    (build / ".rpmmacros").write_text(macros.macro_file())
    return build


def _copy(src: Path, dest_dir: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dest_dir / src.name, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dest_dir / src.name)


def rpmbuild_command(stage: list[str], macros: MacroSet) -> list[str]:
    return [
        "rpmbuild",
        *stage,
        "--nodeps",
        "--define",
        f"_topdir {TOPDIR}",
        *macros.rpmbuild_args(),
    ]


class RpmbuildBackend:
    name = "rpmbuild"

    def build_srpm(
        self,
        spec: Path,
        sources: list[Path],
        workdir: Path,
        macros: MacroSet,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
    ) -> StageResult:
        build = _prepare(workdir, macros)
        shutil.copy2(spec, build / "rpmbuild" / "SPECS" / spec.name)
        for s in sources:
            _copy(s, build / "rpmbuild" / "SOURCES")
        spec_in = f"{TOPDIR}/SPECS/{spec.name}"
        # rpmspec lists what the binary packages will provide (for batch ordering); it runs in
        # the sandbox too, since parsing a spec can run its %(...) shell expansions.
        query = ["rpmspec", "-q", "--provides", *macros.rpmbuild_args(), spec_in]
        cmd = [
            "/bin/bash",
            "-c",
            f"{shlex.join(rpmbuild_command(['-bs', spec_in], macros))} && "
            f"{shlex.join(query)} > {SANDBOX_HOME}/{PROVIDES_FILE}",
        ]
        res = self._run(
            build,
            cmd,
            None,
            macros,
            log,
            cancelled,
            limits,
            lambda: sorted((build / "rpmbuild" / "SRPMS").glob("*.src.rpm")),
        )
        provides_file = build / PROVIDES_FILE
        if res.ok and provides_file.is_file():
            provides = tuple(line for line in provides_file.read_text().splitlines() if line)
            return replace(res, provides=provides)
        return res

    def build_arch(
        self,
        srpm: Path,
        arch: str,
        workdir: Path,
        macros: MacroSet,
        buildroot_usr: Path | None,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
    ) -> StageResult:
        build = _prepare(workdir, macros)
        shutil.copy2(srpm, build / srpm.name)
        cmd = rpmbuild_command(
            ["--rebuild", "--target", arch, f"{SANDBOX_HOME}/{srpm.name}"], macros
        )
        return self._run(
            build,
            cmd,
            buildroot_usr,
            macros,
            log,
            cancelled,
            limits,
            lambda: sorted((build / "rpmbuild" / "RPMS").glob("*/*.rpm")),
        )

    def _run(
        self,
        build: Path,
        cmd: list[str],
        usr: Path | None,
        macros: MacroSet,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
        outputs: Callable[[], list[Path]],
    ) -> StageResult:
        log("$ " + " ".join(cmd))
        spec = SandboxSpec(
            build_dir=build,
            command=cmd,
            overlay_usr=usr,
            env=macros.env,
            time_limit=limits.time_limit,
            log_limit=limits.log_limit,
        )
        res = run_sandboxed(spec, log, cancelled)
        log(f"rpmbuild ran {res.duration:.2f} s in the sandbox")
        reason = failure_reason(
            res.lines,
            res.returncode,
            timed_out=res.timed_out,
            cancelled=res.cancelled,
            log_truncated=res.log_truncated,
            time_limit=limits.time_limit,
        )
        found = tuple(outputs()) if reason is None else ()
        if reason is None and not found:
            log("note: rpmbuild succeeded and produced no package (the spec has no %files)")
        return StageResult(found, reason, res.duration, len(res.lines), res.leftover)
