"""Pick the forge backend the settings name."""

from __future__ import annotations

from olivine.config import Settings
from olivine.forge.interfaces import Forge


def open_forge(settings: Settings) -> Forge:
    if settings.forge_url:
        from olivine.forge.remote import RemoteForge

        return RemoteForge(settings.forge_url, settings.data_dir / "forge-cache")
    from olivine.forge.local import LocalForge

    return LocalForge(settings.forge_dir)
