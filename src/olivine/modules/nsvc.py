"""Version, context and dist tag of a module build, computed as the Module Build Service does
(module_build_service: models.ModuleBuild.calculate_*_context, get_stream_version,
scheduler.submit.get_prefixed_version, common.utils.get_rpm_release), so that the same input
gives the same NSVC on any machine, and the NSVC of a module matches upstream's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from olivine.modules.model import NSVC, Platform, Streams

PLATFORM = "platform"
_FAMILY_PREFIX = {"el": "el", "fedora": "f", "suse": "suse", "generic": "generic"}


def platform_of(family: str, major: int, minor: int) -> Platform:
    """The project's base module stream: `el9.4.0`, virtual stream `el9` (RHEL's scheme)."""
    prefix = _FAMILY_PREFIX.get(family, family)
    return Platform(stream=f"{prefix}{major}.{minor}.0", virtual=f"{prefix}{major}")


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def build_context(buildrequires: Mapping[str, str]) -> str:
    """sha1 of the JSON of the sorted name -> stream buildrequires (xmd.mbs.buildrequires)."""
    return _sha1(json.dumps(dict(sorted(buildrequires.items()))))


def runtime_context(requires: Streams) -> str:
    """sha1 of the JSON of the sorted name -> sorted streams runtime requires."""
    return _sha1(json.dumps({k: sorted(set(v)) for k, v in sorted(requires.items())}))


def context(buildrequires: Mapping[str, str], requires: Streams) -> str:
    both = f"{build_context(buildrequires)}:{runtime_context(requires)}"
    return _sha1(both)[:8]


def stream_version(stream: str) -> int | None:
    """`el9.4.0` -> 90400 (MBS get_stream_version, right_pad=False): the digits from the first
    digit on, each dot-separated part padded to two digits; None without a digit."""
    version = ""
    for char in stream:
        if char.isdigit():
            version += char
        elif version:
            if char != ".":
                break
            version += "."
    parts = [p.zfill(2) for p in version.rstrip(".").split(".")] if version else []
    return int("".join(parts)) if parts else None


def commit_version(commit_time: int) -> int:
    """The source commit's time as YYYYmmddHHMMSS (UTC), MBS's `scm.version`."""
    return int(datetime.fromtimestamp(commit_time, UTC).strftime("%Y%m%d%H%M%S"))


def version(platform_stream: str, commit_time: int) -> int:
    """The module version: the platform stream's version prefix, then the commit time."""
    prefix = stream_version(platform_stream)
    base = commit_version(commit_time)
    return int(f"{prefix}{base}") if prefix is not None else base


def dist_hash(nsvc: NSVC) -> str:
    return _sha1(f"{nsvc.name}.{nsvc.stream}.{nsvc.version}.{nsvc.context}")[:8]


def dist_tag(nsvc: NSVC, platform: Platform, index: int) -> str:
    """`.module+el9.4.0+<index>+<hash>`: `index` is the module build's number (MBS: the lowest
    build ID among the contexts of one submission)."""
    return f".module+{platform.marking}+{index}+{dist_hash(nsvc)}"


def modularity_label(nsvc: NSVC) -> str:
    return str(nsvc)
