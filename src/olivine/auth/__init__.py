"""Users, API tokens, per-project roles and the permission policy."""
