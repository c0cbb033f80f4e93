"""imports component."""
