"""The forge contract: where imported package sources live as git history.

Every package of a project is one repository, `<project>/rpms/<pkg>`. An import commits a whole
tree to a branch and tags it; builds later read the tree of a pinned commit. Backends: `local`
(bare repositories under the data directory, the default) and `remote` (any git host, pushed
to with credentials).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from olivine.errors import ValidationFailed

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def check_part(kind: str, value: str) -> str:
    """Project and package names become path parts: refuse anything that could escape."""
    if not _PART.match(value) or ".." in value or value.endswith(".git"):
        raise ValidationFailed(f"invalid {kind} name for the forge: {value!r}")
    return value


def repo_name(project: str, package: str) -> str:
    return f"{check_part('project', project)}/rpms/{check_part('package', package)}"


@dataclass(frozen=True)
class CommitInfo:
    commit: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: str
    timestamp: int


@dataclass(frozen=True)
class CommitResult:
    commit: str
    tree: str
    changed: bool  # false: the branch head already had this exact tree; nothing was written
    tag: str | None = None


@dataclass(frozen=True)
class TagInfo:
    name: str
    commit: str
    message: str


class Forge(ABC):
    """Git storage of imported packages."""

    @abstractmethod
    def ensure_repo(self, project: str, package: str) -> None:
        """Create the repository if it does not exist yet (idempotent)."""

    @abstractmethod
    def exists(self, project: str, package: str) -> bool: ...

    @abstractmethod
    def head(self, project: str, package: str, branch: str) -> str | None:
        """The commit at the tip of `branch`, or None when the branch (or repo) does not exist."""

    @abstractmethod
    def commit_tree(
        self,
        project: str,
        package: str,
        branch: str,
        tree_dir: Path,
        message: str,
        *,
        tag: str | None = None,
        tag_message: str | None = None,
    ) -> CommitResult:
        """Commit the whole content of `tree_dir` as the new tip of `branch` (parent: the old
        tip) and, with `tag`, create an annotated tag on it, in one atomic ref update. When the
        tree equals the tip's tree, or the tree of the commit `tag` already names, nothing is
        written and `changed` is False (the result names that commit). A `tag` that exists on a
        different tree is a Conflict: tags never move."""

    @abstractmethod
    def commit_info(self, project: str, package: str, rev: str) -> CommitInfo: ...

    @abstractmethod
    def tag_info(self, project: str, package: str, tag: str) -> TagInfo | None: ...

    @abstractmethod
    def list_files(self, project: str, package: str, rev: str) -> list[str]:
        """Paths of every file in the tree of `rev`, sorted."""

    @abstractmethod
    def read_file(self, project: str, package: str, rev: str, path: str) -> bytes: ...

    @abstractmethod
    def export(self, project: str, package: str, rev: str, dest: Path) -> Path:
        """Write the tree of `rev` into `dest` (created) and return it."""

    @abstractmethod
    def clone_url(self, project: str, package: str) -> str:
        """A URL git can clone the repository from (file:// for local, the host's for remote)."""
