"""`/objects/<sha256>`: downloads from the local object store through expiring signed links."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from olivine.api.deps import Svc
from olivine.errors import Forbidden, ValidationFailed
from olivine.storage import links
from olivine.storage.interfaces import check_key

router = APIRouter(tags=["objects"])


@router.get("/objects/{sha256}")
def get_object(
    sha256: str,
    svc: Svc,
    e: int = Query(..., description="expiry (unix time)"),
    s: str = Query(..., max_length=64, description="signature"),
) -> StreamingResponse:
    try:
        check_key(sha256)
    except ValidationFailed:
        raise
    if not links.verify(svc.settings.secret_key(), sha256, e, s):
        raise Forbidden("this object link is not valid or has expired")
    info = svc.store.stat(sha256)
    return StreamingResponse(
        svc.store.open(sha256),
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(info.size),
            "Cache-Control": "private, max-age=3600",
            "ETag": f'"{sha256}"',
        },
    )
