"""The repos tests' HTTP server, dnf runner and RPM factory, for the modules tests."""

from tests.integration.repos.conftest import dnf, make_rpm, served  # noqa: F401
