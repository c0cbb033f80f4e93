"""The repos tests' tiny RPMs and dnf client, for the project tests on the real stack."""

from tests.integration.repos.conftest import dnf, make_rpm

__all__ = ["dnf", "make_rpm"]
