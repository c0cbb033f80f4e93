"""The default backend: rpmbuild in the bubblewrap sandbox. `rpmbuild -bs` makes the SRPM,
`rpmbuild --rebuild --target ARCH` each arch build; `rpmbuild -ba --target ARCH` both at once
(builds/whole.py). --nodeps always: Debian's rpm database is empty, so BuildRequires are
checked by builds/resolve.py (libsolv) before the arch build.

Each stage runs in its own build directory: a capped volume (builds/volume.py) owned by a leased
build user, prepared by the worker, built in by the sandbox, and read back by builds/collect.py
(no link followed, every RPM's digests verified) once the sandbox is gone."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from olivine.builds import collect, host, volume
from olivine.builds.interfaces import CancelFn, Limits, LogFn, StageResult
from olivine.builds.macros import MacroSet
from olivine.builds.reasons import failure_reason
from olivine.builds.sandbox import SANDBOX_HOME, SandboxSpec, chown_tree, run_sandboxed
from olivine.builds.users import BuildUser

TOPDIR = f"{SANDBOX_HOME}/rpmbuild"
PROVIDES_FILE = "provides.txt"
_DIRS = ("SPECS", "SOURCES", "BUILD", "BUILDROOT", "RPMS", "SRPMS")


@dataclass(frozen=True)
class _Dir:
    path: Path  # bound at /build
    user: BuildUser | None
    volume: volume.Volume | None


@contextlib.contextmanager
def _build_dir(workdir: Path, limits: Limits) -> Iterator[_Dir]:
    """The stage's build directory: as root, a capped volume owned by a leased build user."""
    path = workdir / "build"
    if os.geteuid() != 0:
        path.mkdir(parents=True, exist_ok=True)
        yield _Dir(path, None, None)
        return
    with host.current().pool.lease() as user:
        if limits.disk is None:
            path.mkdir(parents=True, exist_ok=True)
            yield _Dir(path, user, None)
            return
        with volume.mounted(path, limits.disk, user) as vol:
            yield _Dir(path, user, vol)


def _prepare(build: Path, macros: MacroSet) -> Path:
    """The build directory bound at /build: HOME with .rpmmacros, and the rpmbuild topdir."""
    for d in _DIRS:
        (build / "rpmbuild" / d).mkdir(parents=True, exist_ok=True)
    (build / ".rpmmacros").write_text(macros.macro_file())
    return build


def _copy(src: Path, dest_dir: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dest_dir / src.name, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dest_dir / src.name)


def _put_sources(build: Path, spec: Path, sources: list[Path]) -> str:
    """The spec into SPECS/ and its sources into SOURCES/; the spec's path in the sandbox."""
    shutil.copy2(spec, build / "rpmbuild" / "SPECS" / spec.name)
    for s in sources:
        _copy(s, build / "rpmbuild" / "SOURCES")
    return f"{TOPDIR}/SPECS/{spec.name}"


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
        with _build_dir(workdir, limits) as bdir:
            return self._srpm(bdir, spec, sources, workdir, macros, log, cancelled, limits)

    def _srpm(
        self,
        bdir: _Dir,
        spec: Path,
        sources: list[Path],
        workdir: Path,
        macros: MacroSet,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
    ) -> StageResult:
        build = _prepare(bdir.path, macros)
        spec_in = _put_sources(build, spec, sources)
        # rpmspec lists what the binary packages will provide (for batch ordering); it runs in
        # the sandbox too, since parsing a spec can run its %(...) shell expansions.
        query = ["rpmspec", "-q", "--provides", *macros.rpmbuild_args(), spec_in]
        cmd = [
            "/bin/bash",
            "-c",
            f"{shlex.join(rpmbuild_command(['-bs', spec_in], macros))} && "
            f"{shlex.join(query)} > {SANDBOX_HOME}/{PROVIDES_FILE}",
        ]
        out = workdir / "out-srpm"
        res = self._run(
            bdir,
            cmd,
            None,
            macros,
            log,
            cancelled,
            limits,
            lambda: collect.collect_rpms(build, "rpmbuild/SRPMS", 1, out, source=True),
        )
        text = collect.read_text(build, PROVIDES_FILE) if res.ok else None
        if text is not None:
            return replace(res, provides=tuple(line for line in text.splitlines() if line))
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
        with _build_dir(workdir, limits) as bdir:
            build = _prepare(bdir.path, macros)
            shutil.copy2(srpm, build / srpm.name)
            cmd = rpmbuild_command(
                ["--rebuild", "--target", arch, f"{SANDBOX_HOME}/{srpm.name}"], macros
            )
            out = workdir / "out-rpms"
            return self._run(
                bdir,
                cmd,
                buildroot_usr,
                macros,
                log,
                cancelled,
                limits,
                lambda: collect.collect_rpms(build, "rpmbuild/RPMS", 2, out, source=False),
            )

    def build_whole(
        self,
        spec: Path,
        sources: list[Path],
        arch: str,
        workdir: Path,
        macros: MacroSet,
        buildroot_usr: Path | None,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
    ) -> StageResult:
        """The SRPM and one arch's RPMs in one sandbox run, `rpmbuild -ba --target ARCH` (as
        the reference does): the outputs are the SRPM, then the RPMs."""
        with _build_dir(workdir, limits) as bdir:
            build = _prepare(bdir.path, macros)
            spec_in = _put_sources(build, spec, sources)
            cmd = rpmbuild_command(["-ba", "--target", arch, spec_in], macros)
            out = workdir / "out-whole"

            def outputs() -> tuple[Path, ...]:
                srpms = collect.collect_rpms(build, "rpmbuild/SRPMS", 1, out / "SRPMS", True)
                if len(srpms) != 1:
                    raise collect.UnsafeOutput(f"rpmbuild -ba made {len(srpms)} SRPMs, not one")
                rpms = collect.collect_rpms(build, "rpmbuild/RPMS", 2, out / "RPMS", False)
                return (*srpms, *rpms)

            return self._run(bdir, cmd, buildroot_usr, macros, log, cancelled, limits, outputs)

    def _run(
        self,
        bdir: _Dir,
        cmd: list[str],
        usr: Path | None,
        macros: MacroSet,
        log: LogFn,
        cancelled: CancelFn | None,
        limits: Limits,
        outputs: Callable[[], tuple[Path, ...]],
    ) -> StageResult:
        log("$ " + " ".join(cmd))
        if bdir.user is not None:
            chown_tree(bdir.path, bdir.user)
        spec = SandboxSpec(
            build_dir=bdir.path,
            command=cmd,
            overlay_usr=usr,
            env=macros.env,
            time_limit=limits.time_limit,
            log_limit=limits.log_limit,
            resources=limits.resources,
            user=bdir.user,
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
            first_line=res.first_line,
        )
        if reason is not None and reason != "cancelled":
            full = bdir.volume.full_reason(res.lines) if bdir.volume else None
            reason = full or res.limit_reason or reason
        found: tuple[Path, ...] = ()
        if reason is None:
            try:
                found = outputs()
            except collect.UnsafeOutput as e:
                log(f"error: {e.message}")
                reason = e.message
        if reason is None and not found:
            log("note: rpmbuild succeeded and produced no package (the spec has no %files)")
        return StageResult(found, reason, res.duration, res.line_count, res.leftover)
