"""Remote forge: any git host. A local bare mirror per repository does the git work; every
commit is pushed atomically (branch and tag together) to the host, so a failed push leaves the
host untouched. Credentials travel in the URL template (https://user:token@host/...) or in the
git credential helper configured for the user running Olivine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from olivine.errors import Conflict, NotFound, UpstreamError
from olivine.forge.gitcli import GitError, run_git
from olivine.forge.interfaces import CommitInfo, CommitResult, TagInfo, check_part
from olivine.forge.local import LocalForge

T = TypeVar("T")


class RemoteForge(LocalForge):
    """`url_template` names each repository: `{project}` and `{package}` are filled in, e.g.
    `https://git.example.org/{project}/rpms/{package}.git`."""

    def __init__(self, url_template: str, cache_dir: Path) -> None:
        super().__init__(cache_dir)
        self.url_template = url_template

    def clone_url(self, project: str, package: str) -> str:
        return self.url_template.format(
            project=check_part("project", project), package=check_part("package", package)
        )

    def _sync(self, project: str, package: str) -> bool:
        """Mirror the host's refs into the cache; False when the host has no such repository."""
        super().ensure_repo(project, package)
        gd = self.repo_path(project, package)
        try:
            run_git(
                [
                    "fetch",
                    "--quiet",
                    "--prune",
                    "--force",
                    self.clone_url(project, package),
                    "+refs/heads/*:refs/heads/*",
                    "+refs/tags/*:refs/tags/*",
                ],
                git_dir=gd,
                upstream=True,
            )
        except (GitError, UpstreamError):
            return False
        return True

    def exists(self, project: str, package: str) -> bool:
        return self._sync(project, package)

    # Reads come from the cache; a revision it lacks (another worker imported it) is fetched.
    def commit_info(self, project: str, package: str, rev: str) -> CommitInfo:
        return self._read(
            lambda: super(RemoteForge, self).commit_info(project, package, rev), project, package
        )

    def list_files(self, project: str, package: str, rev: str) -> list[str]:
        return self._read(
            lambda: super(RemoteForge, self).list_files(project, package, rev), project, package
        )

    def read_file(self, project: str, package: str, rev: str, path: str) -> bytes:
        return self._read(
            lambda: super(RemoteForge, self).read_file(project, package, rev, path),
            project,
            package,
        )

    def export(self, project: str, package: str, rev: str, dest: Path) -> Path:
        return self._read(
            lambda: super(RemoteForge, self).export(project, package, rev, dest), project, package
        )

    def tag_info(self, project: str, package: str, tag: str) -> TagInfo | None:
        found = (
            super().tag_info(project, package, tag) if super().exists(project, package) else None
        )
        if found is None and self._sync(project, package):
            found = super().tag_info(project, package, tag)
        return found

    def _read(self, fn: Callable[[], T], project: str, package: str) -> T:
        if super().exists(project, package):
            try:
                return fn()
            except NotFound:
                pass
        self._sync(project, package)
        return fn()

    def head(self, project: str, package: str, branch: str) -> str | None:
        self._sync(project, package)
        return super().head(project, package, branch)

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
        self._sync(project, package)
        res = super().commit_tree(
            project, package, branch, tree_dir, message, tag=tag, tag_message=tag_message
        )
        if not res.changed:
            return res
        refs = [f"refs/heads/{branch}"] + ([f"refs/tags/{tag}"] if tag else [])
        try:
            run_git(
                ["push", "--quiet", "--atomic", self.clone_url(project, package), *refs],
                git_dir=self.repo_path(project, package),
            )
        except GitError as e:
            self._sync(project, package)  # put the cache back as the host has it
            raise Conflict(
                f"push to {_redact(self.clone_url(project, package))} failed; nothing was changed "
                f"there ({e.message})"
            ) from None
        return res


def _redact(url: str) -> str:
    """Never print the credentials a URL template carries."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
