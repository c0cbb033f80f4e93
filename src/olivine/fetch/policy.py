"""The one fetch policy for every outbound URL: upstream git, lookaside, patch repositories, SRPM
URLs and the external repositories builds read.

- `file://` (and a plain path, for git) only under the roots the administrator set
  (OLIVINE_FETCH_FILE_ROOTS), resolved through every link, and never the data directory.
- http(s) and git over http(s) only to public addresses: loopback, link-local, private,
  unspecified and every other non-global address is refused unless it lies in
  OLIVINE_FETCH_ALLOW_NETS. The check is on the resolved addresses, and the connection goes to
  the address that was checked (DNS rebinding); every redirect is checked again.
- Size and time caps on every download, clone and archive.

A refusal names the URL the caller gave and the rule, never anything about what lies there
(existence, size, content, digest)."""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from olivine.errors import ValidationFailed

if TYPE_CHECKING:
    from olivine.config import Settings

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address
GiB = 1024**3
HTTP_SCHEMES = ("http", "https")


class FetchRefused(ValidationFailed):
    """The fetch policy does not allow this URL (a setting of the administrator decides)."""

    title = "Fetch refused"


class FetchTooLarge(ValidationFailed):
    """A download, clone or archive went past its size or time cap."""

    title = "Fetch too large"


@dataclass(frozen=True)
class Target:
    """A checked http(s) URL: where to connect (the checked address) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    address: str  # the resolved, checked address to connect to


@dataclass(frozen=True)
class FetchPolicy:
    file_roots: tuple[Path, ...] = ()
    allow_nets: tuple[IPNet, ...] = ()
    denied: tuple[Path, ...] = ()  # the data directory: refused even under a root
    trusted_origins: tuple[str, ...] = ()  # Olivine's own public URL (builds read its repos)
    max_bytes: int = 10 * GiB  # one download
    timeout: float = 3600.0  # seconds for one download
    git_max_bytes: int = 4 * GiB  # one clone (its directory on disk) or one exported tree
    git_timeout: float = 1800.0
    max_redirects: int = 5
    resolver: object = field(default=None, compare=False)  # tests: a getaddrinfo stand-in

    @classmethod
    def from_settings(cls, s: Settings) -> FetchPolicy:
        return cls(
            file_roots=tuple(s.fetch_file_roots),
            allow_nets=tuple(ipaddress.ip_network(n, strict=False) for n in s.fetch_allow_nets),
            denied=(s.data_dir,),
            trusted_origins=(_origin(s.base_url),),
            max_bytes=s.fetch_max_bytes,
            timeout=s.fetch_timeout,
            git_max_bytes=s.fetch_git_max_bytes,
            git_timeout=s.fetch_git_timeout,
        )

    # -- files

    def check_path(self, path: Path | str, url: str, what: str) -> Path:
        """The real path (every link followed) of a local path, if it lies under a file root
        and not under the data directory; else FetchRefused naming `url` only."""
        real = Path(os.path.realpath(path))
        for d in self.denied:
            if _under(real, Path(os.path.realpath(d))):
                raise FetchRefused(f"{what} {url} is refused: it lies in Olivine's data directory")
        if not any(_under(real, Path(os.path.realpath(r))) for r in self.file_roots):
            roots = ":".join(str(r) for r in self.file_roots) or "none set"
            raise FetchRefused(
                f"{what} {url} is refused: local files are allowed only under "
                f"OLIVINE_FETCH_FILE_ROOTS ({roots})"
            )
        return real

    def file_url(self, url: str, what: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"{what} {url} is refused: a file:// URL names no host")
        return self.check_path(unquote(parts.path), url, what)

    # -- network

    def check_address(self, addr: str, url: str, what: str) -> IPAddr:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in n for n in self.allow_nets):
            return ip
        if not ip.is_global or ip.is_multicast:
            raise FetchRefused(
                f"{what} {url} is refused: it resolves to a loopback, link-local, private or "
                "otherwise non-public address (an administrator can allow networks in "
                "OLIVINE_FETCH_ALLOW_NETS)"
            )
        return ip

    def check_url(self, url: str, what: str) -> Target:
        """Check an http(s) URL: scheme, host, every resolved address; the Target connects to
        the first of them."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in HTTP_SCHEMES:
            raise FetchRefused(f"{what} {url} is refused: only http and https are fetched")
        host = parts.hostname
        if not host:
            raise FetchRefused(f"{what} {url} is refused: it names no host")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchRefused(f"{what} {url} is refused: its port is not a number") from None
        addrs = self._resolve(host, port, url, what)
        if _origin(url) in self.trusted_origins:
            return Target(url, scheme, host, port, addrs[0])
        for a in addrs:
            self.check_address(a, url, what)
        return Target(url, scheme, host, port, addrs[0])

    def _resolve(self, host: str, port: int, url: str, what: str) -> list[str]:
        resolve = self.resolver or socket.getaddrinfo
        try:
            infos = resolve(host, port, type=socket.SOCK_STREAM)  # type: ignore[operator]
        except (OSError, UnicodeError):
            raise FetchRefused(f"{what} {url}: host {host} does not resolve") from None
        addrs = list(dict.fromkeys(str(i[4][0]) for i in infos))
        if not addrs:
            raise FetchRefused(f"{what} {url}: host {host} does not resolve")
        return addrs


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _origin(url: str) -> str:
    p = urlsplit(url)
    try:
        port = p.port or (443 if p.scheme == "https" else 80)
    except ValueError:
        return ""
    return f"{p.scheme.lower()}://{(p.hostname or '').lower()}:{port}"
