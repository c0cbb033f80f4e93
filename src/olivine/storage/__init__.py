"""Object store: content addressed by sha256, streaming, with `fs` and `s3` backends."""

from olivine.storage.interfaces import ObjectInfo, ObjectStore, PutResult
from olivine.storage.service import open_store

__all__ = ["ObjectInfo", "ObjectStore", "PutResult", "open_store"]
