"""workflows component."""
