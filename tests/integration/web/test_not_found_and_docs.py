"""A browser that asks for a page that does not exist gets an HTML 404; API clients keep
problem+json; the interactive API docs load their files from Olivine itself, not a CDN."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.web.test_web_pages import app_client  # noqa: F401 (a fixture)

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_unknown_page_in_a_browser_is_html(app_client: TestClient) -> None:  # noqa: F811
    r = app_client.get("/no/such/page", headers=BROWSER)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "there is no page at /no/such/page" in r.text and "<html" in r.text


def test_machine_endpoints_keep_problem_json(app_client: TestClient) -> None:  # noqa: F811
    for path in ("/api/v1/nothing", "/no/such/page"):
        headers = BROWSER if path.startswith("/api/") else {}
        r = app_client.get(path, headers=headers)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"


def test_docs_are_served_offline(app_client: TestClient) -> None:  # noqa: F811
    page = app_client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "/docs-assets/swagger-ui-bundle.js" in page.text
    js = app_client.get("/docs-assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    assert app_client.get("/docs-assets/swagger-ui.css").status_code == 200
