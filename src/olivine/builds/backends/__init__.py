"""Builder backends: `rpmbuild` (bubblewrap sandbox, default) and `mock` (config + command)."""
