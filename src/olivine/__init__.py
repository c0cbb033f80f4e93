"""Olivine: a build system for RPM distributions."""

__version__ = "0.1.0"
