"""Forge: git storage of imported packages (local bare repositories or a remote git host)."""

from olivine.forge.interfaces import CommitInfo, CommitResult, Forge, TagInfo, repo_name
from olivine.forge.service import open_forge

__all__ = ["CommitInfo", "CommitResult", "Forge", "TagInfo", "open_forge", "repo_name"]
