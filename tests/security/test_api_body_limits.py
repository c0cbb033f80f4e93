"""Bodies are capped by what is counted as it streams in, not by what Content-Length claims:
JSON and YAML at OLIVINE_API_BODY_MAX_BYTES (413 problem+json beyond it), uploads at their own
OLIVINE_API_UPLOAD_MAX_BYTES, spooled to disk, never held in memory."""

from __future__ import annotations

from fastapi.testclient import TestClient

from olivine.app import create_app
from olivine.services import Services
from tests.integration.conftest import Stack, project_yaml
from tests.security.rawhttp import peak_rss, reset_peak_rss, stream

MB = 1024 * 1024
APPLY = "/api/v1/projects/apply"


def _admin(stack: Stack, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.admin_token}", **more}


def _too_large(status: int, body: bytes, limit: int) -> None:
    assert status == 413, body[:300]
    assert f"larger than {limit} bytes".encode() in body


def test_json_over_the_cap_streamed_without_a_length(stack: Stack, live_url: str) -> None:
    limit = stack.services.settings.api_body_max_bytes
    h = _admin(stack, **{"Content-Type": "application/json"})
    before = reset_peak_rss()
    a = stream(live_url, "POST", APPLY, 300 * MB, headers=h, chunked=True)
    growth = peak_rss() - before
    print(f"\n300 MB chunked JSON as admin: {a.status}, peak RSS growth {growth / MB:.1f} MB")
    _too_large(a.status, a.body, limit)
    assert a.headers["content-type"] == "application/problem+json"
    assert growth < 50 * MB


def test_declared_length_over_the_cap_is_refused_unread(stack: Stack, live_url: str) -> None:
    h = _admin(stack, **{"Content-Type": "application/json"})
    a = stream(live_url, "POST", APPLY, 0, headers=h, declared=5 * MB)
    _too_large(a.status, a.body, stack.services.settings.api_body_max_bytes)


def test_a_lying_content_length_does_not_lift_the_cap(stack: Stack, live_url: str) -> None:
    """A small declared length and a long body: the server reads no more than it was told."""
    h = _admin(stack, **{"Content-Type": "application/json"})
    a = stream(live_url, "POST", APPLY, 8 * MB, headers=h, declared=100)
    assert 400 <= a.status < 500 and a.status != 413


def test_upload_cap_is_its_own_setting(stack: Stack) -> None:
    settings = stack.services.settings.model_copy(update={"api_upload_max_bytes": 1 * MB})
    app = create_app(settings, Services(settings, stack.services.db))
    with TestClient(app) as client:
        files = {"files": ("big.rpm", b"x" * (2 * MB), "application/x-rpm")}
        r = client.post("/api/v1/projects/p/rpms", headers=_admin(stack), files=files)
        _too_large(r.status_code, r.content, 1 * MB)
        srpm = {"file": ("x-1-1.src.rpm", b"x" * (2 * MB), "application/x-rpm")}
        r = client.post("/api/v1/projects/p/imports/srpm", headers=_admin(stack),
                        files=srpm, data={"package": "x"})  # fmt: skip
        _too_large(r.status_code, r.content, 1 * MB)
        # a JSON route keeps the JSON cap, larger here than the upload cap
        r = client.post(APPLY, headers=_admin(stack), json={"file": "x" * (2 * MB)})
        assert r.status_code == 422


def test_uploads_are_not_held_to_the_json_cap(stack: Stack) -> None:
    big = b"x" * (stack.services.settings.api_body_max_bytes + MB)
    h = _admin(stack)
    srpm = {"file": ("x-1-1.src.rpm", big)}
    r = stack.client.post("/api/v1/projects/nosuch/imports/srpm", headers=h, files=srpm,
                          data={"package": "x"})  # fmt: skip
    assert r.status_code == 404, r.text[:300]  # read whole, then: no such project
    rpms = {"files": ("x-1-1.x86_64.rpm", big)}
    r = stack.client.post("/api/v1/projects/nosuch/rpms", headers=h, files=rpms)
    assert r.status_code == 404, r.text[:300]


def test_an_upload_is_spooled_to_disk_not_memory(stack: Stack, live_url: str) -> None:
    r = stack.client.post(APPLY, headers=_admin(stack), json={"file": project_yaml("up")})
    assert r.json()["status"] == "succeeded", r.text
    boundary = "olivine-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        'filename="junk-1-1.x86_64.rpm"\r\nContent-Type: application/x-rpm\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    h = _admin(stack, **{"Content-Type": f"multipart/form-data; boundary={boundary}"})
    before = reset_peak_rss()
    a = stream(live_url, "POST", "/api/v1/projects/up/rpms", 200 * MB, headers=h, wrap=(head, tail))
    growth = peak_rss() - before
    print(f"\n200 MB upload as admin: {a.status}, peak RSS growth {growth / MB:.1f} MB")
    assert a.status == 422 and b"junk-1-1.x86_64.rpm" in a.body, a.body[:300]
    assert growth < 50 * MB
