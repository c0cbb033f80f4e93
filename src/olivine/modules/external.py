"""The modules of a project's external repositories: each repository's `modules` document
(repomd type `modules`, in any compression createrepo_c and modifyrepo_c write), fetched under
the fetch policy and read by libmodulemd in the worker (upstream content: never in the API
process). Their streams join the project's own in a module build's catalog, and they say which
of a repository's packages are modular, so that a build sees only the packages of the streams
it builds against (dnf's modular filtering)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import createrepo_c as cr

from olivine.builds.fetch import fetch_metadata
from olivine.builds.resolve import ModularMask
from olivine.builds.steps import repo_arch
from olivine.errors import OlivineError, ValidationFailed
from olivine.fetch.policy import FetchPolicy
from olivine.modules.libmodulemd import modulemd
from olivine.modules.model import ModuleSource
from olivine.modules.nsvc import PLATFORM
from olivine.projects.schema import ProjectFile
from olivine.repos import metadata

MAX_TEXT = 256 * 1024 * 1024  # a modules document, decompressed
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ExternalStream:
    """A module stream an external repository carries (every version and context of it)."""

    repo: str
    name: str
    stream: str
    artifacts: frozenset[str]  # NEVRAs as libsolv writes them: the epoch only when not 0
    requires: Mapping[str, str] = field(default_factory=dict)  # runtime: module -> stream


@dataclass(frozen=True)
class RepoModules:
    streams: tuple[ExternalStream, ...] = ()
    defaults: Mapping[str, str] | None = None  # module -> its default stream

    def catalog(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, set[str]] = {}
        for s in self.streams:
            out.setdefault(s.name, set()).add(s.stream)
        return {n: tuple(sorted(v)) for n, v in out.items()}


def nevra(artifact: str) -> str:
    """`name-E:V-R.A` (modulemd's artifact form) as libsolv prints it: `name-V-R.A` for E 0."""
    rest, _, arch = artifact.rpartition(".")
    name, version, release = rest.rsplit("-", 2)
    epoch, sep, ver = version.partition(":")
    if sep and epoch == "0":
        version = ver
    return f"{name}-{version}-{release}.{arch}"


def read_text(path: Path, repo: str) -> str:
    """The decompressed document, refused past MAX_TEXT (a small file can expand a lot)."""
    parts: list[bytes] = []
    total = 0
    with path.open("rb") as raw, metadata.open_compressed(raw) as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            total += len(chunk)
            if total > MAX_TEXT:
                raise ValidationFailed(
                    f"external repository {repo}: its modules document is larger than "
                    f"{MAX_TEXT // (1024 * 1024)} MiB decompressed"
                )
            parts.append(chunk)
    try:
        return b"".join(parts).decode()
    except UnicodeDecodeError:
        raise ValidationFailed(
            f"external repository {repo}: its modules document is not UTF-8"
        ) from None


def modules_file(local: Path) -> Path | None:
    """The `modules` document a repository's repomd.xml lists, or None."""
    repomd = local / "repodata" / "repomd.xml"
    if not repomd.is_file():
        return None
    for rec in cr.Repomd(str(repomd)).records:
        if rec.type == "modules":
            path = local / rec.location_href
            return path if path.is_file() else None
    return None


def parse(text: str, repo: str) -> RepoModules:
    idx = modulemd().ModuleIndex.new()
    ok, failures = idx.update_from_string(text, False)
    if not ok:
        why = failures[0].get_gerror().message if failures else "unreadable"
        raise ValidationFailed(f"external repository {repo}: its modules document: {why}")
    streams: dict[tuple[str, str], set[str]] = {}
    requires: dict[tuple[str, str], dict[str, str]] = {}
    for name in idx.get_module_names():
        for s in idx.get_module(name).get_all_streams():
            key = (name, s.get_stream_name())
            streams.setdefault(key, set()).update(nevra(a) for a in s.get_rpm_artifacts())
            for dep in s.get_dependencies():
                for n, st in runtime_requires(dep).items():
                    requires.setdefault(key, {}).setdefault(n, st)
    return RepoModules(
        tuple(
            ExternalStream(repo, n, st, frozenset(a), requires.get((n, st), {}))
            for (n, st), a in sorted(streams.items())
        ),
        dict(idx.get_default_streams(None)),
    )


def runtime_requires(dep: Any) -> dict[str, str]:
    """A dependencies entry's runtime requirements as MBS follows them into a build root: the
    first stream named of each module (none for an empty or exclusion-only list), `platform`
    left out."""
    out: dict[str, str] = {}
    for name in dep.get_runtime_modules():
        listed = [s for s in dep.get_runtime_streams(name) if not s.startswith("-")]
        if name != PLATFORM and listed:
            out[name] = listed[0]
    return out


def enable(
    enabled: Mapping[str, str], requires: Callable[[str, str], Mapping[str, str]]
) -> dict[str, str]:
    """`enabled` with, recursively, the runtime requires of every enabled stream (MBS's
    `_get_recursively_required_modules`); a stream already chosen for a module is kept."""
    out = dict(enabled)
    todo = list(out.items())
    while todo:
        name, stream = todo.pop()
        for n, st in requires(name, stream).items():
            if n not in out:
                out[n] = st
                todo.append((n, st))
    return out


def read_repo(local: Path, repo: str) -> RepoModules:
    """The modules of a repository mirrored (or found) at `local`; none without a document."""
    path = modules_file(local)
    return parse(read_text(path, repo), repo) if path is not None else RepoModules()


def mask(mods: RepoModules, enabled: Mapping[str, str] | None) -> ModularMask:
    """What a build may see of the repository: the packages of the enabled streams (a module
    component build: the streams its context builds against and, recursively, their runtime
    requires; any other build: the repository's default streams, as dnf enables them), not
    those of the other streams, and no non-modular package named as one of the enabled
    streams'."""
    if enabled is None:
        on = dict(mods.defaults or {})
    else:
        reqs = {(s.name, s.stream): s.requires for s in mods.streams}
        on = enable(enabled, lambda n, st: reqs.get((n, st), {}))
    visible = {a for s in mods.streams if on.get(s.name) == s.stream for a in s.artifacts}
    every = {a for s in mods.streams for a in s.artifacts}
    return ModularMask(
        hidden=frozenset(every - visible),
        modular=frozenset(every),
        enabled_names=frozenset(a.rsplit("-", 2)[0] for a in visible),
    )


def depends_on_modules(source: ModuleSource) -> bool:
    """Whether the source names any module but `platform` (only then are external repos read)."""
    return any(
        name != PLATFORM
        for v in source.variants
        for d in v.dependencies
        for name in (*d.buildrequires, *d.requires)
    )


def _urls(pf: ProjectFile) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for ext in pf.external_repos:
        for arch in pf.arches:
            rarch = repo_arch(arch, pf.arches)
            url = ext.url.replace("$basearch", rarch).replace("$arch", rarch)
            if url not in seen:
                seen.add(url)
                yield ext.name, url


def _local(name: str, url: str, policy: FetchPolicy, cache: Path) -> Path:
    if url.startswith("file://"):
        return policy.file_url(url, f"repository {name}")
    return fetch_metadata(url, cache / name, None, policy, types=("modules",))


def _read(name: str, url: str, policy: FetchPolicy, cache: Path) -> RepoModules:
    try:
        return read_repo(_local(name, url, policy, cache), name)
    except OlivineError as e:
        if e.message.startswith("external repository"):
            raise
        raise type(e)(f"external repository {name}: {e.message}") from None


def external_modules(pf: ProjectFile, policy: FetchPolicy, cache: Path) -> list[RepoModules]:
    """The modules of every external repository of the project, on each of its arches."""
    return [_read(n, u, policy, cache / str(i)) for i, (n, u) in enumerate(_urls(pf))]


def merge_catalogs(catalogs: Iterable[Mapping[str, tuple[str, ...]]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for c in catalogs:
        for name, streams in c.items():
            out.setdefault(name, set()).update(streams)
    return {n: tuple(sorted(v)) for n, v in sorted(out.items())}
