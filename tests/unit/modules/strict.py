"""Check a modulemd text with libmodulemd in strict mode through /usr/bin/python3 (a process of
its own, as a release engineer would run it), not through Olivine's code."""

from __future__ import annotations

import subprocess

SCRIPT = """
import sys, gi
gi.require_version("Modulemd", "2.0")
from gi.repository import Modulemd
idx = Modulemd.ModuleIndex.new()
ok, failures = idx.update_from_string(sys.stdin.read(), True)
for f in failures:
    print(f.get_gerror().message)
sys.exit(0 if ok and not failures else 1)
"""


def strict_ok(text: str) -> tuple[bool, str]:
    p = subprocess.run(
        ["/usr/bin/python3", "-c", SCRIPT], input=text, capture_output=True, text=True
    )
    return p.returncode == 0, p.stdout + p.stderr
