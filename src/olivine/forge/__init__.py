"""forge component."""
