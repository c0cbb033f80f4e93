"""Olivine: a build system for RPM distributions."""
