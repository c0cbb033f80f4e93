"""modules component."""
