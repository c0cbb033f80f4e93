"""A private project and a missing one look the same to a caller without access: 404 under
/api/v1 and the UI, 401 with a Basic challenge under /repos and /git (what makes dnf and git send
credentials); and git's HTTP paths reach nothing but a repository's refs and objects."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.api.test_git_http import _seed
from tests.integration.conftest import Stack

PRIVATE, MISSING = "priv", "nosuch"
API = ["/api/v1/projects/{p}", "/api/v1/projects/{p}/packages", "/api/v1/projects/{p}/repos",
       "/api/v1/projects/{p}/packages/bash/imports"]  # fmt: skip
UI = ["/projects/{p}", "/projects/{p}/repos", "/projects/{p}/packages/bash"]
REPOS = ["/repos/{p}/BaseOS/x86_64/repodata/repomd.xml", "/repos/{p}/BaseOS.repo",
         "/repos/{p}/BaseOS/x86_64/Packages/b/bash-1-1.x86_64.rpm"]  # fmt: skip
GIT = ["/git/{p}/rpms/bash.git/info/refs?service=git-upload-pack", "/git/{p}/rpms/bash.git/HEAD"]


@pytest.fixture
def seeded(stack: Stack, tmp_path: Path) -> dict[str, dict[str, str]]:
    _seed(stack, PRIVATE, False, tmp_path)
    _seed(stack, "pub", True, tmp_path)
    return {"anonymous": {}, "outsider": stack.as_(stack.token_for("outsider"))}


def _same(stack: Stack, url: str, headers: dict[str, str]) -> httpx.Response:
    """The answers for the private and the missing project, equal once the name is swapped."""
    priv = stack.client.get(url.format(p=PRIVATE), headers=headers, follow_redirects=False)
    missing = stack.client.get(url.format(p=MISSING), headers=headers, follow_redirects=False)
    assert priv.status_code == missing.status_code, (url, priv.text, missing.text)
    assert priv.text.replace(PRIVATE, MISSING) == missing.text, url
    for h in ("www-authenticate", "content-type"):
        assert priv.headers.get(h) == missing.headers.get(h), (url, h)
    return priv


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_api_and_ui_say_not_found(
    stack: Stack, seeded: dict[str, dict[str, str]], who: str
) -> None:
    for url in API + UI:
        assert _same(stack, url, seeded[who]).status_code == 404, url


def test_private_task_is_a_missing_task(stack: Stack, seeded: dict[str, dict[str, str]]) -> None:
    from olivine.projects.service import ProjectService

    pid = ProjectService(stack.services.db).get(PRIVATE).id
    task = stack.services.tasks.create("noop", project_id=pid)
    for who in seeded:
        r = stack.client.get(f"/api/v1/tasks/{task}", headers=seeded[who])
        assert r.status_code == 404 and r.json()["detail"] == f"task {task} does not exist"


@pytest.mark.parametrize("url", REPOS + GIT)
def test_repos_and_git_ask_for_credentials(
    stack: Stack, seeded: dict[str, dict[str, str]], url: str
) -> None:
    anon = _same(stack, url, seeded["anonymous"])
    assert anon.status_code == 401 and 'Basic realm="olivine"' in anon.headers["www-authenticate"]
    assert _same(stack, url, seeded["outsider"]).status_code == 404
    admin = stack.client.get(url.format(p=PRIVATE), headers=stack.as_(stack.admin_token))
    assert admin.status_code != 401


@pytest.mark.parametrize(
    "path",
    [
        "config",
        "hooks/pre-receive",
        "objects/info/alternates",
        "objects/%2e%2e/config",
        "objects/..%2F..%2F..%2Fpriv/rpms/bash.git/HEAD",
        "description",
        "refs/heads/r9",
        "info/refs/../../config",
    ],
)
def test_git_paths_outside_a_repository_are_404(
    stack: Stack, seeded: dict[str, dict[str, str]], path: str
) -> None:
    r = stack.client.get(f"/git/pub/rpms/bash.git/{path}")
    assert r.status_code == 404, (path, r.status_code, r.text[:200])


@pytest.mark.parametrize(
    "repo", ["..%2F..%2Fetc.git", "bash", "..%2Fpriv%2Frpms%2Fbash.git", "%2e%2e.git"]
)
def test_git_repository_names_outside_the_forge_are_404(
    stack: Stack, seeded: dict[str, dict[str, str]], repo: str
) -> None:
    r = stack.client.get(f"/git/pub/rpms/{repo}/info/refs?service=git-upload-pack")
    assert r.status_code == 404, (repo, r.status_code, r.text[:200])
