"""The seccomp filter every sandboxed process runs under (bwrap `--seccomp FD`), written by
libseccomp's Python bindings (Debian's python3-seccomp).

Everything is allowed except the calls a build never needs and an escape would: mounting,
namespaces, keyrings, BPF, perf, io_uring (a large kernel surface with a record of privilege
escalations, and a way around this filter: its operations are not system calls), kernel
modules, kexec, attaching to other processes, and the clock, swap and reboot calls. They fail
with EPERM, so a build that probes them sees an ordinary error. `clone3` answers ENOSYS (its
flags sit behind a pointer a filter cannot read), which makes glibc fall back to `clone`, whose
namespace flags are refused here."""

from __future__ import annotations

import errno
import platform
from pathlib import Path

from olivine.builds.users import SandboxUnavailable

DENIED = (
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "open_by_handle_at",
    "name_to_handle_at",
    "process_vm_readv",
    "process_vm_writev",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "quotactl",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "iopl",
    "ioperm",
    "vhangup",
)
_PTRACE_ATTACH, _PTRACE_SEIZE = 16, 0x4206
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_CLONE_NS_FLAGS = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
    0x00000080,
)


def write_filter(path: Path) -> Path:
    """Write the BPF program to `path` (mode 0600) and return it."""
    try:
        import seccomp
    except ImportError as e:
        raise SandboxUnavailable(
            "python3-seccomp is not installed: the build sandbox needs it (scripts/setup.sh)"
        ) from e
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    if platform.machine() == "x86_64":  # i686 builds run 32-bit test programs in %check
        f.add_arch(seccomp.Arch.X86)
    eperm = seccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            f.add_rule(eperm, name)
        except (RuntimeError, ValueError):  # a call this kernel/arch does not have
            continue
    for request in (_PTRACE_ATTACH, _PTRACE_SEIZE):
        f.add_rule(eperm, "ptrace", seccomp.Arg(0, seccomp.EQ, request))
    for flag in _CLONE_NS_FLAGS:  # rules OR: any namespace flag refuses the clone
        f.add_rule(eperm, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    with path.open("wb") as out:
        path.chmod(0o600)
        f.export_bpf(out)
    return path
