"""Conformance at full size: every ci-dnf-stack spec (795) and every rpm-4.18 spec (67) built
through Olivine's build service with BuildRequires resolution off, against plain
`rpmbuild --nodeps` in the same run (the slow test runs a sample).

    .venv/bin/python bench/build_conformance.py [--every N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.builds.conformance import (
    dnf_stack_cases,
    rpm_cases,
    run_cases,
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=1, help="take every Nth ci-dnf-stack spec")
    args = ap.parse_args()
    print(f"{'set':14} {'specs':>6} {'rpmbuild ok':>12} {'olivine ok':>11} {'ratio':>6} {'s':>6}")
    worse = False
    for label, cases in (("ci-dnf-stack", dnf_stack_cases(args.every)), ("rpm-4.18", rpm_cases())):
        start = time.monotonic()
        out = run_cases(cases)
        ref = sum(o.reference_ok for o in out)
        olv = sum(o.olivine_ok for o in out)
        took = time.monotonic() - start
        print(f"{label:14} {len(out):6} {ref:12} {olv:11} {olv / max(ref, 1):6.3f} {took:6.0f}")
        for o in out:
            if o.reference_ok and not o.olivine_ok:
                print(f"  only rpmbuild built {o.case.name}: {o.reason}")
        worse |= olv < ref
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
