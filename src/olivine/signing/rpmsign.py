"""Sign RPM files (and, for a key Sequoia refuses, repomd.xml: signing.detached) with one project
key, for one job.

rpmsign never runs beside the key: it runs inside the build sandbox (olivine.builds.sandbox),
which sees only the job's work directory: the files to sign, a GNUPGHOME with the *public* key
and, where that GNUPGHOME's gpg looks for its agent, a socket that signs and does nothing else:
- for a lone RSA key, the signer's own agent (signing.oracle: OpenSSL, in this process);
- for other keys, gpg-agent's *extra* socket, its restricted one (made for forwarding to
  untrusted hosts: it answers signing requests and refuses to export keys), of the key's warm
  agent (signing.agents) or of an agent started for this job, whose GNUPGHOME (a private tmpfs
  as root, signing.gpg) holds the secret. A fresh agent is killed when the job ends; a warm one
  after it has been idle, or once its key is no longer the project's default.
So a hostile RPM that exploits rpm's parser gets no key material, only signatures during this
job, and every result is checked afterwards.

Each signed file is verified with `rpm -K` against an rpmdb holding the public key alone (made
once per key by `rpmkeys --import`, outside the sandbox, from the key the database holds), in the
same sandbox run (see _batch_script).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from olivine.builds import host
from olivine.builds.sandbox import (
    SANDBOX_HOME,
    SandboxResult,
    chown_tree,
    finish_sandboxed,
    run_sandboxed,
)
from olivine.builds.users import BuildUser
from olivine.errors import IntegrityFailure, ServiceFailure
from olivine.signing.agents import SOCKET as _SOCKET
from olivine.signing.agents import AgentPool, fresh_agent
from olivine.signing.gpg import GpgHome, default_runtime_dir, gpg_home
from olivine.signing.openpgp import RsaSigner
from olivine.signing.oracle import SigningOracle
from olivine.signing.warmbox import JOB_SCRIPT, Warm, sign_spec

Log = Callable[[str], None]
BATCH = 500  # at most this many files per rpmsign invocation (one command line)
MIN_BATCH = 50  # fewer files than this run in one rpmsign invocation, on one lane
PARALLEL = min(4, os.cpu_count() or 1)  # rpmsign runs at once, all talking to the one agent


@dataclass(frozen=True)
class SignJob:
    """One key, its public half, and where the job's files live."""

    fingerprint: str
    public_key: str
    work_dir: Path  # bound at /build in the sandbox: rpms/, gnupg/
    runtime_dir: Path | None = None
    warm_key_id: int | None = None  # the project's default key: its warm agent signs


def rpmsign_command(fingerprint: str, names: Sequence[str], home: str = "gnupg") -> list[str]:
    """Debian's %__gpg names a missing gpg2: without the override rpmsign signs NOTHING."""
    home = f"{SANDBOX_HOME}/{home}"
    return [
        "rpmsign",
        "--define",
        "__gpg /usr/bin/gpg",
        "--define",
        f"_gpg_path {home}",
        "--define",
        f"_gpg_name {fingerprint}",
        "--define",
        "_gpg_sign_cmd_extra_args --no-autostart",
        "--addsign",
        *[f"rpms/{n}" for n in names],
    ]


def _public_cache(job: SignJob) -> Path:
    """The public GNUPGHOME and the rpmdb holding the public key, made once per public key in
    the signer's runtime directory (a gpg and an rpmkeys run less per job); each job copies
    them into its own work directory. Both are made from the key the database holds, never from
    anything of the job."""
    base = job.runtime_dir or default_runtime_dir()
    tag = hashlib.sha256(job.public_key.encode()).hexdigest()[:32]
    done = base / f"pub-{tag}"
    if done.is_dir():
        return done
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="pub-", dir=base))
    (tmp / "gnupg").mkdir(mode=0o700)
    GpgHome(tmp / "gnupg", False).run(["--no-autostart", "--import"], job.public_key.encode())
    (tmp / "pub.asc").write_text(job.public_key)
    r = subprocess.run(
        ["rpmkeys", "--dbpath", str(tmp / "rpmdb"), "--import", str(tmp / "pub.asc")],
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    if r.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ServiceFailure(f"rpmkeys cannot import the public key {job.fingerprint}")
    try:
        tmp.rename(done)
    except OSError:  # another job made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return done


def _public_home(job: SignJob) -> Path:
    """The sandbox's GNUPGHOME: the public key only; the agent adds its extra socket here. Next
    to it the rpmdb that `rpm -K` checks against (the public key alone)."""
    cache, pub = _public_cache(job), job.work_dir / "gnupg"
    pub.mkdir(mode=0o700, parents=True, exist_ok=True)
    for f in (cache / "gnupg").iterdir():
        if f.is_file() and not f.name.startswith("S.") and not f.name.endswith(".lock"):
            shutil.copy2(f, pub / f.name)
    shutil.copytree(cache / "rpmdb", job.work_dir / "rpmdb", dirs_exist_ok=True)
    return pub


def _lane(job: SignJob, i: int) -> str:
    """A GNUPGHOME of its own for parallel rpmsign run `i` (gpg's lock files are named by host
    and pid, which every sandbox run shares): the public keyring, a copy of the rpmdb for its
    `rpm -K`, and the agent's socket by a relative link."""
    if i == 0:
        return "gnupg"
    lane = job.work_dir / f"gnupg-{i}"
    if not lane.exists():
        src = job.work_dir / "gnupg"
        lane.mkdir(mode=0o700)
        for f in src.iterdir():
            if f.is_file() and not f.name.startswith("S.") and not f.name.endswith(".lock"):
                shutil.copy2(f, lane / f.name)
        (lane / _SOCKET).symlink_to(f"../gnupg/{_SOCKET}")
        shutil.copytree(job.work_dir / "rpmdb", job.work_dir / f"rpmdb-{i}")
    return lane.name


def _sandboxed(
    job: SignJob,
    command: list[str],
    log: Log,
    what: str,
    home: str = "gnupg",
    user: BuildUser | None = None,
) -> list[str]:
    spec = replace(sign_spec(job.work_dir, command, home), user=user)
    return _lines(run_sandboxed(spec, log), what)


def _lines(result: SandboxResult, what: str) -> list[str]:
    if not result.ok:
        tail = " / ".join(result.lines[-3:])
        raise ServiceFailure(f"{what} failed in the sandbox (exit {result.returncode}): {tail}")
    return list(result.lines)


def _check_cmd(home: str, names: Sequence[str]) -> str:
    """rpm -K (as rpmkeys -K: the same check and output, without the rest of rpm's start) against
    the lane's own copy of the rpmdb holding the public key alone (parallel runs share no sqlite
    file)."""
    db = "rpmdb" + home.removeprefix("gnupg")
    files = " ".join(shlex.quote(f"rpms/{n}") for n in names)
    return f"rpmkeys --dbpath {SANDBOX_HOME}/{db} -K {files}"


def _check(job: SignJob, names: Sequence[str], lines: Sequence[str], log: Log) -> None:
    rel = [f"rpms/{n}" for n in names]
    ok = {ln.split(":", 1)[0] for ln in lines if ln.endswith(": digests signatures OK")}
    bad = [n for n in rel if n not in ok]
    if bad:
        raise IntegrityFailure(
            f"{len(bad)} RPMs did not verify against key {job.fingerprint} after signing "
            f"(first: {bad[0].removeprefix('rpms/')})"
        )
    log(f"rpm -K: {len(names)} RPMs verify against {job.fingerprint}")


def _batch_script(job: SignJob, names: Sequence[str], home: str = "gnupg") -> str:
    """rpmsign, then rpm -K of the same files against the public key alone, in one sandbox run
    (a second run would add no safety: whatever runs in there could already have the agent sign
    anything; the check catches rpmsign signing nothing, Debian's trap, or signing wrongly)."""
    sign = shlex.join(rpmsign_command(job.fingerprint, names, home))
    return f"{sign} </dev/null && {_check_cmd(home, names)}"


Secret = bytes | Callable[[], bytes]


def in_process_signer(fingerprint: str, secret: bytes) -> RsaSigner | None:
    """The OpenSSL signer of a lone RSA key that Sequoia's policy accepts (signing.detached),
    or None: such a key signs through signing.oracle rather than gpg-agent."""
    from olivine.signing.detached import rsa_signer

    return rsa_signer(fingerprint, secret)


@contextlib.contextmanager
def _agent(
    job: SignJob,
    secret: Secret,
    sock: Path,
    agents: AgentPool | None,
    files: int,
    rsa: RsaSigner | None,
) -> Iterator[str]:
    """What signs for the sandbox's gpg, listening at `sock` for the block: the signer's own
    agent (signing.oracle: OpenSSL) for a lone RSA key, else a gpg-agent holding the key (the
    key's warm one, or one for this job) through its restricted socket; yields which (for the
    log)."""
    opened = secret if callable(secret) else lambda: secret
    if rsa is not None:  # one signature per file (rpmsign signs the header); a little slack
        with SigningOracle(rsa, sock, budget=2 * files + 4):
            yield "the signer's own agent (OpenSSL)"
        return
    if agents is not None and job.warm_key_id is not None:
        with agents.lease(job.warm_key_id, opened, sock) as warm:
            yield "the key's warm gpg-agent" if warm else "a gpg-agent for this job"
        return
    with fresh_agent(job.runtime_dir, opened(), sock):
        yield "a gpg-agent for this job"


def sign_rpms(
    job: SignJob,
    secret: Secret,
    names: Sequence[str],
    log: Log,
    rsa: RsaSigner | None,
    agents: AgentPool | None = None,
    warm: Warm | None = None,
) -> bool:
    """Sign `work_dir/rpms/<name>` in place (each file in `names`), then verify every one.
    `secret`: the armored key, or what opens it (called only when an agent must be started).
    `warm`: a sandbox made ahead on `work_dir` (signing.warmbox), used when one rpmsign run
    does it all; returns whether it was (else the caller discards it). `rsa`: the key's
    in-process signer (in_process_signer, KeyStore.openssl_signer), or None for a key that
    gpg-agent signs for."""
    if not names:
        return False
    pub = _public_home(job)
    with _agent(job, secret, pub / _SOCKET, agents, len(names), rsa) as which:
        log(f"signing with {which}")
        size = min(BATCH, max(MIN_BATCH, -(-len(names) // PARALLEL)))
        batches = [names[i : i + size] for i in range(0, len(names), size)]
        if warm is not None and len(batches) == 1:
            (job.work_dir / JOB_SCRIPT).write_text(_batch_script(job, names))
            log("rpmsign in the sandbox made ahead for this job")
            _check(job, names, _lines(finish_sandboxed(warm.started, _quiet), "rpmsign"), log)
            return True
        lanes = [_lane(job, i) for i in range(min(PARALLEL, len(batches)))]
        with contextlib.ExitStack() as stack:
            user = _lanes_user(stack, job, len(lanes))

            def one(i: int) -> None:
                batch, home = batches[i], lanes[i % len(lanes)]
                script = ["/bin/sh", "-c", _batch_script(job, batch, home)]
                _check(job, batch, _sandboxed(job, script, _quiet, "rpmsign", home, user), log)

            with ThreadPoolExecutor(len(lanes)) as pool:
                list(pool.map(one, range(len(batches))))
    return False


def _quiet(_line: str) -> None:
    pass


def _lanes_user(stack: contextlib.ExitStack, job: SignJob, lanes: int) -> BuildUser | None:
    """As root with parallel lanes: one build user for all of them, given the work directory
    once (each sandbox run would otherwise lease its own and chown the shared directory under
    the others' feet). One lane: the sandbox leases its own, as for any run."""
    if lanes < 2 or os.geteuid() != 0:
        return None
    user = stack.enter_context(host.current().pool.lease())
    chown_tree(job.work_dir, user)
    return user


def sign_detached(
    fingerprint: str, secret: bytes, blobs: Sequence[bytes], runtime_dir: Path | None = None
) -> list[str]:
    """Armored detached signatures of `blobs` (repomd.xml files: bytes we rendered ourselves,
    never upstream content), with one GNUPGHOME and agent for all of them: for the keys that
    Sequoia's policy refuses (signing.detached signs the others in-process)."""
    out: list[str] = []
    with gpg_home(runtime_dir) as home:
        home.run(["--import"], secret)
        for data in blobs:
            done = home.run(
                [
                    "--armor",
                    "--detach-sign",
                    "--digest-algo",
                    "SHA256",
                    "--local-user",
                    fingerprint,
                ],
                data,
            )
            out.append(done.stdout.decode())
    return out
