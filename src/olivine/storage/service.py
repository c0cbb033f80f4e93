"""Pick the object store backend the settings name."""

from __future__ import annotations

from olivine.config import Settings
from olivine.storage.interfaces import ObjectStore


def open_store(settings: Settings) -> ObjectStore:
    if settings.storage == "s3":
        from olivine.storage.s3 import S3Store

        assert settings.s3_bucket  # checked by Settings
        return S3Store(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            presign_seconds=settings.s3_presign_seconds,
        )
    from olivine.storage.fs import FsStore

    return FsStore(settings.objects_dir, settings.base_url, settings.secret_key())
