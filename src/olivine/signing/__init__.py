"""signing component."""
