"""What the sandbox command line binds: only /usr, the /bin /lib /lib64 /sbin links, a minimal
/etc and the build directory; namespaces unshared; the root read-only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from olivine.builds.sandbox import SandboxSpec, bwrap_args, full_command
from olivine.builds.users import BuildUser


def _binds(args: list[str]) -> dict[str, str]:
    out = {}
    for i, a in enumerate(args):
        if a in ("--bind", "--ro-bind"):
            out[args[i + 2]] = f"{a} {args[i + 1]}"
    return out


def test_only_usr_etc_bits_and_the_build_dir_are_bound(tmp_path: Path) -> None:
    spec = SandboxSpec(tmp_path / "build", ["rpmbuild", "-bs", "x.spec"], env={"LC_ALL": "C"})
    args = bwrap_args(spec, "/usr", tmp_path / "private", "m1")
    binds = _binds(args)
    assert binds["/usr"] == "--ro-bind /usr"
    assert binds["/build"] == f"--bind {tmp_path / 'build'}"
    writable = [k for k, v in binds.items() if v.startswith("--bind ")]
    assert writable == ["/build"]
    assert all(
        k == "/usr" or k == "/build" or k.startswith(("/etc/", "/lib", "/bin", "/sbin"))
        for k in binds
    )
    for hidden in ("/var", "/run", "/home", "/root", "/var/run/postgresql", "/tmp"):
        assert hidden not in binds
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in args
    for flag in ("--unshare-user", "--disable-userns"):
        assert flag in args
    assert args[args.index("--cap-drop") + 1] == "ALL"
    assert args[args.index("--remount-ro") + 1] == "/"
    assert args[args.index("/tmp") - 3 : args.index("/tmp") + 1][::2] == ["--size", "--tmpfs"]
    assert args[-4:] == ["--", "rpmbuild", "-bs", "x.spec"]
    env = {args[i + 1]: args[i + 2] for i, a in enumerate(args) if a == "--setenv"}
    assert env["OLIVINE_SANDBOX"] == "m1" and env["LC_ALL"] == "C" and env["HOME"] == "/build"
    assert (tmp_path / "private" / "etc" / "passwd").read_text().startswith("root:x:0:0:")


@pytest.mark.skipif(os.geteuid() != 0, reason="overlay build roots need root")
def test_build_root_overlay_mounts_in_a_private_namespace(tmp_path: Path) -> None:
    spec = SandboxSpec(tmp_path / "build", ["true"], overlay_usr=tmp_path / "root" / "usr")
    user = BuildUser("olivine-build-x", 4242, 4243)
    cmd = full_command(spec, tmp_path / "private", "m2", user, seccomp_fd=7)
    assert cmd[:5] == ["unshare", "-m", "--propagation", "private", "--"]
    script = cmd[-1]
    assert f"lowerdir={tmp_path / 'root' / 'usr'}:/usr" in script
    assert f"--ro-bind {tmp_path / 'private' / 'usr'} /usr" in script
    # privileges are dropped after the mounts, before bwrap: never bwrap as host root
    drop = "setpriv --reuid=4242 --regid=4243 --clear-groups --inh-caps=-all"
    assert script.index("mount -t overlay") < script.index(drop) < script.index("bwrap")
    assert "--seccomp 7" in script
