from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable

import pytest
import zstandard

from olivine.repos.metadata import decompress

XML = b'<?xml version="1.0"?>\n<metadata packages="0"/>\n'


@pytest.mark.parametrize(
    "pack",
    [
        gzip.compress,
        zstandard.ZstdCompressor().compress,
        lzma.compress,
        bz2.compress,
        lambda b: b,
    ],
    ids=["gz", "zstd", "xz", "bz2", "plain"],
)
def test_every_compression_createrepo_c_writes_reads_back(pack: Callable[[bytes], bytes]) -> None:
    assert decompress(pack(XML)) == XML
