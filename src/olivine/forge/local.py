"""Local forge: one bare repository per package under `<root>/<project>/rpms/<pkg>.git`,
driven by the git command line. Served read-only over HTTP by `git http-backend` (the API maps
`/git/<project>/rpms/<pkg>.git` to `repo_path`)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from olivine.errors import Conflict, NotFound
from olivine.forge.gitcli import GitError, git_text, run_git
from olivine.forge.interfaces import CommitInfo, CommitResult, Forge, TagInfo, repo_name

ZERO = "0" * 40


class LocalForge(Forge):
    def __init__(self, root: Path) -> None:
        self.root = root

    def repo_path(self, project: str, package: str) -> Path:
        """The bare repository's directory (what git http-backend serves)."""
        return self.root / (repo_name(project, package) + ".git")

    def exists(self, project: str, package: str) -> bool:
        return (self.repo_path(project, package) / "HEAD").is_file()

    def ensure_repo(self, project: str, package: str) -> None:
        path = self.repo_path(project, package)
        if (path / "HEAD").is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Initialise beside the final place, then rename: a concurrent reader never sees a half
        # made repository, and two importers racing end with one.
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
        run_git(["init", "--quiet", "--bare", str(tmp)])
        run_git(["config", "core.logAllRefUpdates", "true"], git_dir=tmp)
        (tmp / "git-daemon-export-ok").touch()
        try:
            tmp.rename(path)
        except OSError:
            _rmtree(tmp)  # lost the race: the other importer's repository stands

    def _git_dir(self, project: str, package: str) -> Path:
        path = self.repo_path(project, package)
        if not (path / "HEAD").is_file():
            raise NotFound(f"forge repository {repo_name(project, package)} does not exist")
        return path

    def head(self, project: str, package: str, branch: str) -> str | None:
        if not self.exists(project, package):
            return None
        gd = self.repo_path(project, package)
        out = git_text(
            ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], git_dir=gd, check=False
        )
        return out or None

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
        self.ensure_repo(project, package)
        gd = self._git_dir(project, package)
        tree = self._write_tree(gd, tree_dir)
        old = self.head(project, package, branch)
        if old and git_text(["rev-parse", f"{old}^{{tree}}"], git_dir=gd) == tree:
            return CommitResult(old, tree, changed=False)
        tagged = self.tag_info(project, package, tag) if tag else None
        if tagged and git_text(["rev-parse", f"{tagged.commit}^{{tree}}"], git_dir=gd) == tree:
            # an earlier commit (not the tip) already is exactly this, under this very tag
            return CommitResult(tagged.commit, tree, changed=False, tag=tag)
        args = ["commit-tree", tree] + (["-p", old] if old else []) + ["-F", "-"]
        commit = run_git(args, git_dir=gd, input=message.encode()).decode().strip()
        lines = ["start", f"update refs/heads/{branch} {commit} {old or ZERO}"]
        if tag:
            self._check_tag_free(gd, project, package, tag)
            tag_obj = self._make_tag(gd, tag, commit, tag_message or message)
            lines.append(f"create refs/tags/{tag} {tag_obj}")
        lines += ["prepare", "commit", ""]
        try:
            run_git(["update-ref", "--stdin"], git_dir=gd, input="\n".join(lines).encode())
        except GitError as e:
            raise Conflict(
                f"forge {repo_name(project, package)} branch {branch} moved during the import "
                f"or tag {tag} appeared; nothing was changed ({e.message})"
            ) from None
        return CommitResult(commit, tree, changed=True, tag=tag)

    @staticmethod
    def _write_tree(gd: Path, tree_dir: Path) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(tree_dir)}
            # -f: the tree is committed exactly as given, whatever its .gitignore says.
            run_git(["add", "--all", "--force", "."], git_dir=gd, cwd=tree_dir, env=env)
            return git_text(["write-tree"], git_dir=gd, env=env)

    def _check_tag_free(self, gd: Path, project: str, package: str, tag: str) -> None:
        run_git(["check-ref-format", f"refs/tags/{tag}"])
        if self.tag_info(project, package, tag) is not None:
            raise Conflict(
                f"tag {tag} already exists in {repo_name(project, package)} on another commit: "
                "a tag is never moved; bump the Release (for instance with an append directive)"
            )

    @staticmethod
    def _make_tag(gd: Path, tag: str, commit: str, message: str) -> str:
        body = (
            f"object {commit}\ntype commit\ntag {tag}\n"
            f"tagger Olivine <olivine@localhost> {int(time.time())} +0000\n\n{message.rstrip()}\n"
        )
        return run_git(["mktag"], git_dir=gd, input=body.encode()).decode().strip()

    def commit_info(self, project: str, package: str, rev: str) -> CommitInfo:
        gd = self._git_dir(project, package)
        fmt = "%H%x00%T%x00%P%x00%an <%ae>%x00%at%x00%B"
        try:
            out = git_text(["show", "-s", f"--format={fmt}", f"{rev}^{{commit}}", "--"], git_dir=gd)
        except GitError:
            raise NotFound(f"revision {rev} not found in {repo_name(project, package)}") from None
        commit, tree, parents, author, ts, msg = out.split("\x00", 5)
        return CommitInfo(commit, tree, tuple(parents.split()), msg, author, int(ts))

    def tag_info(self, project: str, package: str, tag: str) -> TagInfo | None:
        gd = self._git_dir(project, package)
        fmt = "%(objecttype)%00%(*objectname)%00%(objectname)%00%(contents)"
        out = git_text(["for-each-ref", f"--format={fmt}", f"refs/tags/{tag}"], git_dir=gd)
        if not out:
            return None
        kind, peeled, obj, msg = out.split("\x00", 3)
        return TagInfo(tag, peeled if kind == "tag" else obj, msg.strip())

    def list_files(self, project: str, package: str, rev: str) -> list[str]:
        gd = self._git_dir(project, package)
        try:
            out = run_git(["ls-tree", "-r", "-z", "--name-only", rev], git_dir=gd)
        except GitError:
            raise NotFound(f"revision {rev} not found in {repo_name(project, package)}") from None
        return sorted(p.decode() for p in out.split(b"\x00") if p)

    def read_file(self, project: str, package: str, rev: str, path: str) -> bytes:
        gd = self._git_dir(project, package)
        try:
            return run_git(["cat-file", "blob", f"{rev}:{path}"], git_dir=gd)
        except GitError:
            raise NotFound(f"{path} not found at {rev} in {repo_name(project, package)}") from None

    def export(self, project: str, package: str, rev: str, dest: Path) -> Path:
        gd = self._git_dir(project, package)
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(dest)}
            try:
                run_git(["read-tree", rev], git_dir=gd, env=env)
            except GitError:
                raise NotFound(
                    f"revision {rev} not found in {repo_name(project, package)}"
                ) from None
            run_git(["checkout-index", "--all", "--force"], git_dir=gd, env=env, cwd=dest)
        return dest

    def clone_url(self, project: str, package: str) -> str:
        return self.repo_path(project, package).resolve().as_uri()


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
