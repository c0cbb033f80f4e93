"""repos component."""
