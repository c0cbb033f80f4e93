"""A build's provenance on its page, in Debian's Chromium against the real stack (Temporal dev
server, worker, sandboxed rpmbuild, and a separate signing worker holding the KEK): a project
with a signing key builds hello; its RPMs are signed, its provenance is made and logged on the
signer, and the page shows the inputs, the build root, each output's sha256 before and after
signing, the links to the attestation and the SBOM, and a "verified" mark the server checked
with olivine verify's code. A byte changed in the stored envelope turns the mark into the
broken link's name."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from olivine.config import Settings
from olivine.db.models import Provenance
from olivine.db.models.signing import RpmSignature
from olivine.signing import keys
from tests.integration.conftest import Stack
from tests.integration.web.test_web_actions import ui_project, upstreams, wait_done
from tests.integration.web.test_web_browser import browser, shot
from tests.unit.signing.conftest import rsa_key

__all__ = ["browser", "rsa_key"]
pytestmark = pytest.mark.slow
P = "webprov"


def _provenance(stack: Stack, build_id: int, timeout: float = 180) -> Provenance:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with stack.services.db.session() as s:
            row = s.scalar(select(Provenance).where(Provenance.build_id == build_id))
        if row is not None:
            return row
        time.sleep(0.5)
    raise AssertionError(f"build {build_id} got no provenance")


def test_the_build_page_shows_verified_provenance(
    browser: BrowserContext,
    live_url: str,
    stack: Stack,
    signer: Settings,
    rsa_key: keys.KeyMaterial,
    tmp_path: Path,
) -> None:
    text = ui_project(upstreams(tmp_path / "up"), P)
    applied = stack.admin_call("POST", "/api/v1/projects/apply", json={"file": text, "wait": True})
    assert applied["status"] == "succeeded"
    stack.admin_call(
        "POST", f"/api/v1/projects/{P}/keys", json={"private_key": rsa_key.secret.decode()}
    )
    imp = stack.admin_call("POST", f"/api/v1/projects/{P}/imports", json={"package": "hello"})
    assert wait_done(stack, imp["task_id"]) == "succeeded"
    build = stack.admin_call("POST", f"/api/v1/projects/{P}/builds", json={"package": "hello"})
    assert wait_done(stack, build["task_id"], 240) == "succeeded"
    bid = build["build_id"]
    prov = _provenance(stack, bid)
    with stack.services.db.session() as s:
        signed = {r.unsigned_sha256: r.signed_sha256 for r in s.scalars(select(RpmSignature))}
    files = stack.admin_call("GET", f"/api/v1/builds/{bid}/files")

    page = browser.new_page()
    page.goto(f"{live_url}/projects/{P}/builds/{bid}")
    region = page.get_by_role("region", name="Provenance")
    mark = region.get_by_role("status")
    expect(mark).to_contain_text("✓ Verified")
    expect(mark).to_contain_text(f"log entry {prov.leaf_index} is included")
    expect(region).to_contain_text("hello.git at ")  # the upstream URL and its commit
    expect(region).to_contain_text("Forge")
    expect(region).to_contain_text("Build root")
    rows = region.get_by_role("table", name="Provenance outputs").locator("tbody tr")
    assert rows.count() == len(files) > 0
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        before, after = cells.nth(1).inner_text(), cells.nth(2).inner_text()
        assert signed.get(before) == after, (before, after)  # before and after signing
    shot(page, "30-build-provenance")
    attestation = region.get_by_role("link", name=f"{bid}.intoto.jsonl")
    sbom = region.get_by_role("link", name=f"{bid}.spdx.json")
    assert attestation.get_attribute("href") == f"/provenance/{P}/{bid}.intoto.jsonl"
    envelope = page.request.get(f"{live_url}/provenance/{P}/{bid}.intoto.jsonl")
    assert envelope.ok and json.loads(envelope.text())["payloadType"].startswith("application/")
    assert page.request.get(live_url + (sbom.get_attribute("href") or "")).ok

    # the stored envelope changed: the page names the broken link, and no mark
    store = stack.services.store
    env = json.loads(store.get_bytes(prov.envelope_sha256))
    sig = env["signatures"][0]["sig"]
    env["signatures"][0]["sig"] = sig[:5] + ("B" if sig[5] == "A" else "A") + sig[6:]
    forged = store.put_bytes(json.dumps(env).encode())
    with stack.services.db.session() as s:
        s.get_one(Provenance, prov.id).envelope_sha256 = forged.sha256
    page.reload()
    expect(mark).to_contain_text("✗ Not verified: provenance signature")
    shot(page, "31-build-provenance-forged")
