"""Projects: the project file and the project service."""
