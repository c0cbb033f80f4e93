"""builds component."""
