"""schemathesis against the OpenAPI document of the real app on the real stack, as an
administrator and anonymously, with bounded examples per operation: no answer is a 5xx."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case

from olivine.auth.service import AuthService
from tests.integration.conftest import Stack, project_yaml

EXAMPLES = 20  # per operation and caller
# half the reads name things that exist, to get past "not found" into the handlers
KNOWN = {"project": "el9", "name": "el9", "package": "bash", "repo": "BaseOS", "arch": "x86_64"}


@dataclass(frozen=True)
class ServerError:
    status: int
    method: str
    url: str
    body: str

    def __str__(self) -> str:
        return f"{self.status} {self.method} {self.url} body={self.body[:200]!r}"


def _known(case: Case) -> Case:
    for key in case.path_parameters or {}:
        if key in KNOWN:
            case.path_parameters[key] = KNOWN[key]  # type: ignore[index]
    return case


def _cases(op: APIOperation) -> st.SearchStrategy[Case]:
    cases = op.as_strategy()
    if op.method.upper() != "GET":
        return cases
    return st.tuples(cases, st.booleans()).map(lambda t: _known(t[0]) if t[1] else t[0])


def _explore(
    case_strategy: st.SearchStrategy[Case], send: Callable[[Case], ServerError | None]
) -> list[ServerError]:
    found: list[ServerError] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=case_strategy)
    def run(case: Case) -> None:
        if (err := send(case)) is not None:
            found.append(err)

    run()
    return found


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_no_server_errors(stack: Stack, live_url: str, who: str) -> None:
    r = stack.client.post(
        "/api/v1/projects/apply",
        headers=stack.as_(stack.admin_token),
        json={"file": project_yaml("el9")},
    )
    assert r.json()["status"] == "succeeded", r.text
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json")
    errors: list[ServerError] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        # a fresh token per operation: a generated DELETE /tokens/{id} may revoke it
        token = AuthService(stack.services.db).create_token("admin").secret
        headers = stack.as_(token) if who == "admin" else {}

        def send(case: Case, headers: dict[str, str] = headers) -> ServerError | None:
            resp = case.call(base_url=live_url, headers=headers, timeout=30)
            statuses[resp.status_code] += 1
            if resp.status_code < 500:
                return None
            body = case.body if isinstance(case.body, str | bytes) else repr(case.body)
            return ServerError(resp.status_code, case.method, resp.request.url or "", str(body))

        errors += _explore(_cases(op), send)
    seen = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    print(f"\nschemathesis as {who}: {operations} operations, statuses {seen}")
    assert operations >= 30
    assert not errors, "\n".join(str(e) for e in dict.fromkeys(errors))
