"""mock is not installable on Debian 12: these tests check the generated config (by executing
it as mock would, as Python filling config_opts) and the command line, without running mock."""

from __future__ import annotations

import configparser
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from olivine.builds.backends.mock import MockBackend, mock_command, mock_config
from olivine.builds.interfaces import Limits
from olivine.builds.macros import project_macros
from olivine.errors import ConfigError
from olivine.projects.schema import ProjectFile

PROJECT = ProjectFile.model_validate(
    {
        "name": "el9",
        "dist": ".el9",
        "arches": ["x86_64", "aarch64"],
        "vendor": {"family": "el", "major": 9, "minor": 4},
        "macros": {"vendor": "Olivine", "packager": "O <o@example.org>"},
        "upstream": {"url": "file:///srv/{name}.git"},
        "buildroot": {"packages": ["bash", "rpm-build", "gcc", "make"]},
        "external_repos": [
            {"name": "base", "url": "https://mirror.example.org/base/$arch/", "priority": 10},
            {"name": "extras", "url": "https://mirror.example.org/extras/$basearch/"},
        ],
        "packages": [{"name": "hello", "with": ["static"]}],
    }
)


def _load(text: str) -> dict[str, Any]:
    opts: dict[str, Any] = defaultdict(dict)
    exec(compile(text, "mock.cfg", "exec"), {"config_opts": opts})
    return opts


def test_mock_config_without_mock_installed_is_valid_python_with_project_macros() -> None:
    opts = _load(mock_config(PROJECT, "aarch64", "http://olivine.example:8000"))
    assert opts["root"] == "olivine-el9-aarch64"
    assert opts["target_arch"] == "aarch64"
    assert opts["chroot_setup_cmd"] == "install bash rpm-build gcc make"
    assert opts["dist"] == "el9" and opts["releasever"] == "9"
    assert opts["rpmbuild_networking"] is False
    assert opts["macros"]["%dist"] == ".el9"
    assert opts["macros"]["%rhel"] == "9"
    assert opts["macros"]["%vendor"] == "Olivine"
    assert "%_buildshell" not in opts["macros"]  # a Debian-host workaround, not for mock


def test_mock_config_without_mock_installed_lists_all_repo_first_then_external() -> None:
    opts = _load(mock_config(PROJECT, "x86_64", "http://olivine.example:8000/", token="tok"))
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(opts["dnf.conf"])
    assert conf.sections() == ["main", "el9-all", "base", "extras"]
    assert conf["el9-all"]["baseurl"] == "http://olivine.example:8000/repos/el9/all/x86_64/"
    assert conf["el9-all"]["password"] == "tok"
    assert conf["base"]["baseurl"] == "https://mirror.example.org/base/x86_64/"
    assert conf["extras"]["baseurl"] == "https://mirror.example.org/extras/x86_64/"
    assert int(conf["el9-all"]["priority"]) < int(conf["base"]["priority"])
    assert conf["main"]["module_platform_id"] == "platform:el9"


def test_mock_config_without_mock_installed_noarch_reads_x86_64_and_i686_its_own() -> None:
    opts = _load(mock_config(PROJECT, "noarch", "http://h"))
    assert "/repos/el9/all/x86_64/" in opts["dnf.conf"]
    assert opts["target_arch"] == "noarch"
    opts = _load(mock_config(PROJECT, "i686", "http://h"))
    assert "/repos/el9/all/i686/" in opts["dnf.conf"]
    assert opts["legal_host_arches"] == ("i686", "x86_64")


def test_mock_command_without_mock_installed_rebuilds_with_package_switches(
    tmp_path: Path,
) -> None:
    cmd = mock_command(
        tmp_path / "mock.cfg",
        tmp_path / "hello-1-1.src.rpm",
        tmp_path / "result",
        project_macros(PROJECT, "hello"),
    )
    assert cmd[:5] == [
        "mock",
        "-r",
        str(tmp_path / "mock.cfg"),
        "--rebuild",
        str(tmp_path / "hello-1-1.src.rpm"),
    ]
    assert cmd[5:7] == ["--resultdir", str(tmp_path / "result")]
    assert cmd[-2:] == ["--with", "static"]


@pytest.mark.skipif(shutil.which("mock") is not None, reason="mock is installed here")
def test_mock_backend_without_mock_installed_fails_clearly(tmp_path: Path) -> None:
    backend = MockBackend(PROJECT, "http://h")
    with pytest.raises(ConfigError, match="needs mock, which is not installed"):
        backend.build_arch(
            tmp_path / "x.src.rpm",
            "x86_64",
            tmp_path,
            project_macros(PROJECT),
            None,
            print,
            None,
            Limits(),
        )
