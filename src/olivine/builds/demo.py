"""The demo's upstream: a local dist-git made from the example packages shipped in examples/
(libgreet with -devel, greet linked statically against it, greet-doc noarch) and a patch
repository holding greet's declared patch, plus the project file that imports and builds them.
`olivine up --demo` (and the README's run command) start from this."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from olivine.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PACKAGES = ("libgreet", "greet", "greet-doc")
BRANCH = "c9"
PROGRAM = "greet"


@dataclass(frozen=True)
class DemoUpstream:
    root: Path
    project_file: str  # YAML, for `olivine project apply`
    project: str
    packages: tuple[str, ...]


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Olivine Demo",
        "GIT_AUTHOR_EMAIL": "demo@example.org",
        "GIT_COMMITTER_NAME": "Olivine Demo",
        "GIT_COMMITTER_EMAIL": "demo@example.org",
        "GIT_AUTHOR_DATE": "1764028800 +0000",
        "GIT_COMMITTER_DATE": "1764028800 +0000",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    out = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise ConfigError(f"demo upstream: git {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def _repo(src: Path, dest: Path, branch: str, tag: str | None) -> None:
    shutil.copytree(src, dest)
    _git(dest, "init", "-q", "-b", branch)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", f"{dest.name.removesuffix('.git')} for the Olivine demo")
    if tag:
        _git(dest, "tag", "-a", tag, "-m", tag)


def project_file(name: str, root: Path, arches: tuple[str, ...] = ("x86_64",)) -> str:
    pkgs = "\n".join(f"  - name: {p}" for p in PACKAGES)
    return f"""\
# The Olivine demo: three example packages from a local dist-git, one declared patch.
name: {name}
description: Olivine demo (a C library, a program linked statically against it, a noarch doc)
arches: [{", ".join(arches)}]
dist: .el9
vendor: {{family: el, major: 9}}
macros: {{vendor: Olivine Demo, packager: "Olivine Demo <demo@example.org>"}}
upstream: {{kind: dist-git, url: "{root.as_uri()}/rpms/{{name}}.git", branch: {BRANCH}}}
patches: {{url: "{root.as_uri()}/patch/{{name}}.git", branch: main}}
target: {{branch: r9}}
buildroot: {{host_provides: [gcc, make, glibc-devel]}}
packages:
{pkgs}
"""


def write_demo_upstream(dest: Path, name: str = "demo", examples: Path = EXAMPLES) -> DemoUpstream:
    """Make (or remake) the demo's git repositories under dest."""
    if not (examples / "packages").is_dir():
        raise ConfigError(f"the example packages are not at {examples}/packages")
    shutil.rmtree(dest / "rpms", ignore_errors=True)
    shutil.rmtree(dest / "patch", ignore_errors=True)
    for pkg in PACKAGES:
        _repo(
            examples / "packages" / pkg,
            dest / "rpms" / f"{pkg}.git",
            BRANCH,
            f"imports/{BRANCH}/{pkg}-1.0-1.el9",
        )
    for pkg in sorted(p.name for p in (examples / "patches").iterdir()):
        if pkg in PACKAGES:
            _repo(examples / "patches" / pkg, dest / "patch" / f"{pkg}.git", "main", None)
    return DemoUpstream(dest, project_file(name, dest), name, PACKAGES)


def install_commands(
    base_url: str, project: str, root: str = "/tmp/olivine-demo-root", signed: bool = True
) -> str:
    """The commands that install the demo program into an empty root and run it there (dnf
    keeps its rpm database where Debian's rpm looks only with %_dbpath set: TOOLCHAIN.md).
    `signed`: dnf checks the RPMs' signatures and repomd.xml.asc against the repo's
    RPM-GPG-KEY (gpgcheck=1, repo_gpgcheck=1), as an Enterprise Linux dnf does by default."""
    repo = f"{base_url.rstrip('/')}/repos/{project}/all/x86_64/"
    home = f"{root}-home"
    check = (
        f"--setopt=demo.gpgcheck=1 --setopt=demo.repo_gpgcheck=1 "
        f"--setopt=demo.gpgkey={repo}RPM-GPG-KEY"
        if signed
        else "--nogpgcheck"
    )
    return (
        f"mkdir -p {home} && echo '%_dbpath /var/lib/rpm' > {home}/.rpmmacros\n"
        f"HOME={home} dnf -y --installroot={root} --releasever=9 --setopt=reposdir=/dev/null "
        f"--repofrompath=demo,{repo} {check} install {PROGRAM}\n"
        f"chroot {root} /usr/bin/{PROGRAM}"
    )
