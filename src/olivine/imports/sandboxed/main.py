"""The sandbox side of runner.py: `python3 -m olivine.imports.sandboxed.main OP`, run by Debian's
python3 inside bubblewrap with /build holding request.pickle and copies of what OP needs.

Only this process hands a spec to rpm's parser (directly, through specfile, or through
rpmautospec) or a modulemd document to libmodulemd. It writes its answer to
/build/result.json; a spec it produces goes to /build/out.spec, a module document to
/build/out.yaml. It imports nothing of olivine beyond runner.OLIVINE_FILES."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BUILD = Path("/build")
SOURCE, PATCH = 1, 2


def _text(v: object) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def evaluate(req: dict[str, Any]) -> dict[str, Any]:
    """Parse the spec as `rpmbuild -bs` would name its SRPM; rpm's own error lines on failure."""
    import rpm

    spec = BUILD / req["spec"]
    for name, value in req["defines"]:
        rpm.addMacro(name, value)
    rpm.addMacro("_sourcedir", str(BUILD / req["sourcedir"]))
    rpm.addMacro("_specdir", str(spec.parent))
    with tempfile.TemporaryFile("w+") as log:
        rpm.setLogFile(log)
        try:
            parsed = rpm.spec(str(spec))
        except ValueError:
            log.seek(0)
            errors = [ln for ln in log.read().splitlines() if ln.startswith("error")]
            detail = "; ".join(errors) or "rpm could not parse it"
            return {"error": f"spec file {spec.name} does not parse: {detail}"}
        finally:
            rpm.setLogFile(sys.stderr)
    hdr = parsed.sourceHeader
    sources = [
        [num, _text(name).rsplit("/", 1)[-1], bool(flags & PATCH)]
        for name, num, flags in parsed.sources
    ]
    return {
        "name": _text(hdr["name"]),
        "epoch": int(hdr["epoch"] or 0),
        "version": _text(hdr["version"]),
        "release": _text(hdr["release"]),
        "sources": sources,
        # what the SRPM's header and `rpmspec -q --provides` will say (a batch's order)
        "build_requires": _deps(rpm, hdr, "requirename"),
        "provides": [d for p in parsed.packages for d in _deps(rpm, p.header, "providename")],
        # what the SRPM's header will say of its arches (a batch plans its arch builds)
        "arch_tags": {
            "exclusive_arch": [_text(a) for a in hdr[rpm.RPMTAG_EXCLUSIVEARCH] or ()],
            "exclude_arch": [_text(a) for a in hdr[rpm.RPMTAG_EXCLUDEARCH] or ()],
            "build_archs": [_text(a) for a in hdr[rpm.RPMTAG_BUILDARCHS] or ()],
        },
    }


def _deps(rpm: Any, hdr: Any, kind: str) -> list[str]:
    """As olivine.builds.rpminfo reads them: "foo >= 1.2", rpmlib() requirements left out."""
    out = [_text(d.DNEVR())[2:] for d in rpm.ds(hdr, kind)]
    return [d for d in out if not d.startswith("rpmlib(")]


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def autospec(req: dict[str, Any]) -> dict[str, Any]:
    """Resolve %autorelease / %autochangelog from the history of the commit (rpmautospec
    reads a checkout); out.spec is written only when the spec uses either macro."""
    import pygit2
    from rpmautospec import process_distgit
    from rpmautospec.exc import SpecParseFailure

    # the copied repository belongs to the worker's uid, not necessarily the sandbox's
    if hasattr(pygit2, "GIT_OPT_SET_OWNER_VALIDATION"):
        pygit2.option(pygit2.GIT_OPT_SET_OWNER_VALIDATION, 0)  # type: ignore[call-overload]

    checkout = BUILD / "checkout"
    _git("clone", "--quiet", "--no-checkout", str(BUILD / req["repo"]), str(checkout))
    _git("-c", "advice.detachedHead=false", "checkout", "--quiet", req["commit"], cwd=checkout)
    spec = checkout / req["spec_name"]
    try:
        process_distgit(spec, BUILD / "out.spec", enable_caching=False)
    except SpecParseFailure as e:
        return {"error": f"{spec.name}: rpmautospec could not process it: {e}"}
    return {"written": (BUILD / "out.spec").is_file()}


def spec_edit(req: dict[str, Any]) -> dict[str, Any]:
    from olivine.imports.errors import DirectiveError
    from olivine.imports.patches.spec_edit import apply_spec_changes

    spec = BUILD / req["spec"]
    try:
        apply_spec_changes(spec, req["df"], defines=req["defines"], when=req["when"])
    except DirectiveError as e:
        return {"directive": e.directive, "origin": e.origin, "problem": e.problem}
    (BUILD / "out.spec").write_bytes(spec.read_bytes())
    return {"ok": True}


def _module_doc(req: dict[str, Any]) -> tuple[Any, Any]:
    import gi

    gi.require_version("Modulemd", "2.0")
    from gi.repository import Modulemd

    text = (BUILD / req["doc"]).read_text()
    return Modulemd, Modulemd.read_packager_string(text, req["name"], req["stream"])


def module_read(req: dict[str, Any]) -> dict[str, Any]:
    try:
        _, doc = _module_doc(req)
    except Exception as e:  # GLib.Error: the document is not modulemd
        return {"error": f"{req['doc']} is not a valid modulemd document: {e}"}
    return {"components": list(doc.get_rpm_component_names())}


def module_pin(req: dict[str, Any]) -> dict[str, Any]:
    """Set each rpm component's ref; the document goes to out.yaml as a module index."""
    try:
        md, doc = _module_doc(req)
    except Exception as e:
        return {"error": f"{req['doc']} is not a valid modulemd document: {e}"}
    for comp, ref in req["refs"].items():
        doc.get_rpm_component(comp).set_ref(ref)
    if isinstance(doc, md.PackagerV3):
        index = doc.convert_to_index()
    else:
        index = md.ModuleIndex.new()
        index.add_module_stream(doc)
    (BUILD / "out.yaml").write_text(index.dump_to_string())
    return {"name": doc.get_module_name(), "stream": doc.get_stream_name()}


OPS = {
    "evaluate": evaluate,
    "autospec": autospec,
    "spec_edit": spec_edit,
    "module_read": module_read,
    "module_pin": module_pin,
}


def main(op: str) -> None:
    req = pickle.loads((BUILD / "request.pickle").read_bytes())
    answer = OPS[op](req)
    (BUILD / "result.json").write_text(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1])
