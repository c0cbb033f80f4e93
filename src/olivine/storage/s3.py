"""S3 backend through boto3. Uploads stream to a temporary key while hashing (multipart, constant
memory), then copy to `objects/<sha256>` server-side once the hash is known."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from olivine.errors import IntegrityFailure, NotFound
from olivine.storage.interfaces import CHUNK, ObjectInfo, ObjectStore, PutResult, check_key

# Bounded buffering: boto3 holds up to chunk size x concurrency of an upload in memory.
TRANSFER = TransferConfig(
    multipart_threshold=16 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=2,
    use_threads=True,
)
TRANSFER.max_in_memory_upload_chunks = 3  # s3transfer's default of 10 would hold 80 MB


class _HashingReader:
    """A file-like wrapper that hashes and counts what boto3 reads through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data


class S3Store(ObjectStore):
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        presign_seconds: int = 3600,
        create_bucket: bool = False,
    ) -> None:
        self.bucket = bucket
        self.presign_seconds = presign_seconds
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        if create_bucket:
            try:
                self.client.head_bucket(Bucket=bucket)
            except ClientError:
                self.client.create_bucket(Bucket=bucket)

    @staticmethod
    def key(sha256: str) -> str:
        return f"objects/{check_key(sha256)}"

    def put_stream(self, stream: BinaryIO, expected_sha256: str | None = None) -> PutResult:
        tmp_key = f"tmp/{uuid.uuid4().hex}"
        reader = _HashingReader(stream)
        self.client.upload_fileobj(reader, self.bucket, tmp_key, Config=TRANSFER)
        try:
            digest = reader.hash.hexdigest()
            if expected_sha256 and digest != expected_sha256:
                raise IntegrityFailure(
                    f"content hash mismatch: expected sha256 {expected_sha256}, got {digest}"
                )
            if self.exists(digest):
                return PutResult(digest, reader.size, created=False)
            self.client.copy({"Bucket": self.bucket, "Key": tmp_key}, self.bucket, self.key(digest))
            return PutResult(digest, reader.size, created=True)
        finally:
            self.client.delete_object(Bucket=self.bucket, Key=tmp_key)

    def exists(self, sha256: str) -> bool:
        try:
            self.stat(sha256)
            return True
        except NotFound:
            return False

    def stat(self, sha256: str) -> ObjectInfo:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"object {sha256} not found in bucket {self.bucket}") from None
            raise
        return ObjectInfo(sha256, int(head["ContentLength"]))

    def open(self, sha256: str) -> Iterator[bytes]:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"object {sha256} not found in bucket {self.bucket}") from None
            raise
        body = obj["Body"]
        return iter(lambda: body.read(CHUNK), b"")

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def url_for(self, sha256: str, filename: str | None = None, expires: int = 3600) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(sha256)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires or self.presign_seconds
        )
        return url
