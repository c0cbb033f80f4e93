"""The one place libmodulemd (through gi) is loaded. Nothing is imported at module import time:
the API process never needs it, and a worker only loads it when it first reads a document."""

from __future__ import annotations

from functools import cache
from typing import Any

from olivine.errors import ConfigError


@cache
def modulemd() -> Any:
    """The `Modulemd` 2.0 namespace (libmodulemd's GObject introspection)."""
    try:
        import gi

        gi.require_version("Modulemd", "2.0")
        from gi.repository import Modulemd
    except (ImportError, ValueError) as e:
        raise ConfigError(
            "libmodulemd is not available (Debian: gir1.2-modulemd-2.0 python3-gi; the venv "
            f"needs system site-packages): {e}"
        ) from None
    return Modulemd


def glib_error() -> type[Exception]:
    from gi.repository import GLib

    return GLib.Error
