"""The spec changes of a directive file, made through the specfile library, which parses the
spec with rpm: this module runs only in the sandbox (sandboxed/main.py; apply.py sends it there).

Order: Source/Patch file operations, search-and-replace, append, new fields, then changelog
entries last, so an entry's EVR shows an appended Release suffix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from specfile import Specfile
from specfile.sections import Section
from specfile.tags import Comments, Tag

from olivine.imports.errors import DirectiveError
from olivine.imports.patches import model as m


def apply_spec_changes(
    spec_path: Path,
    df: m.DirectiveFile,
    *,
    defines: Sequence[tuple[str, str]],
    when: datetime,
) -> None:
    _edit(spec_path, df, defines, when)


def _edit(
    spec_path: Path, df: m.DirectiveFile, defines: Sequence[tuple[str, str]], when: datetime
) -> None:
    spec = Specfile(
        spec_path,
        sourcedir=spec_path.parent.parent / "SOURCES",
        macros=list(defines),
        autosave=False,
    )
    for op in df.spec_file:
        _file_op(spec, op, spec_path.name)
    for sr in df.search_and_replace:
        _search_replace(spec, sr, spec_path.name)
    for ap in df.append:
        _append(spec, ap, spec_path.name)
    for nf in df.new_field:
        _new_field(spec, nf)
    for cl in df.changelog:
        _changelog(spec, cl, when, spec_path.name)
    spec.save()


def _fail(kind: str, d: m.Origin, problem: str) -> DirectiveError:
    return DirectiveError(kind, str(d), problem)


def _file_op(spec: Specfile, op: m.SpecFile, spec_name: str) -> None:
    kind = f"spec {op.kind} {'add' if op.add else 'delete'}"
    ctx = spec.sources() if op.kind == "source" else spec.patches()
    with ctx as entries:
        if op.add:
            if any(e.location == op.name for e in entries):
                raise _fail(kind, op.origin, f"{op.name} is already declared in {spec_name}")
            number = max((e.number for e in entries), default=-1) + 1
            entries.insert_numbered(number, op.name)
        else:
            found = [e for e in entries if op.name in (e.location, e.expanded_filename)]
            if not found:
                raise _fail(kind, op.origin, f"{op.name} is not declared in {spec_name}")
            number = found[0].number
            entries.remove_numbered(number)
    if op.kind == "patch" and op.add and op.add_to_prep:
        with spec.sections() as sections:
            _section_append(sections.prep, f"%patch -P{number} -p{op.strip}")
    if op.kind == "patch" and not op.add:
        _drop_patch_lines(spec, number)


def _drop_patch_lines(spec: Specfile, number: int) -> None:
    """Remove `%patchN`, `%patch N`, `%patch -PN` and `%patch -P N` lines of this patch."""
    with spec.sections() as sections:
        prep = sections.prep
        keep = []
        for line in prep:
            words = line.split()
            if words and words[0].startswith("%patch") and _patch_number(words) == number:
                continue
            keep.append(line)
        prep[:] = keep


def _patch_number(words: list[str]) -> int | None:
    head = words[0].removeprefix("%patch")
    if head.isdigit():
        return int(head)
    rest = words[1:]
    for i, w in enumerate(rest):
        if w.startswith("-P"):
            val = w[2:] or (rest[i + 1] if i + 1 < len(rest) else "")
            return int(val) if val.isdigit() else None
        if w.isdigit():
            return int(w)
    return 0 if head == "" else None


def _replace(text: str, find: str, repl: str, budget: int) -> tuple[str, int]:
    """Replace up to `budget` occurrences (budget < 0: all); returns the text and how many."""
    count = text.count(find) if budget < 0 else min(text.count(find), budget)
    return text.replace(find, repl, count), count


def _search_replace(spec: Specfile, sr: m.SearchReplace, spec_name: str) -> None:
    budget = -1 if sr.n <= 0 else sr.n
    done = 0
    if sr.field:
        with spec.tags() as tags:
            matching = [t for t in tags if t.name.lower() == sr.field.lower()]
            if not matching:
                raise _fail("search_and_replace", sr.origin, f"{spec_name} has no {sr.field} field")
            for tag in matching:
                tag.value, n = _replace(
                    tag.value, sr.find, sr.replace, budget - done if budget > 0 else -1
                )
                done += n
    else:
        with spec.lines() as lines:
            for i, line in enumerate(lines):
                stripped = line.strip()
                if (sr.starts_with and not stripped.startswith(sr.find)) or (
                    sr.ends_with and not stripped.endswith(sr.find)
                ):
                    continue
                if budget > 0 and done >= budget:
                    break
                lines[i], n = _replace(
                    line, sr.find, sr.replace, budget - done if budget > 0 else -1
                )
                done += n
    if not done:
        where = f"field {sr.field}" if sr.field else "any line"
        raise _fail(
            "search_and_replace", sr.origin, f"{sr.find!r} not found in {where} of {spec_name}"
        )


def _append(spec: Specfile, ap: m.Append, spec_name: str) -> None:
    if ap.field.startswith("%"):
        with spec.sections() as sections:
            section = sections.get(ap.field[1:]) if ap.field[1:] in sections else None
            if section is None:
                raise _fail("append", ap.origin, f"{spec_name} has no {ap.field} section")
            _section_append(section, ap.value)
        return
    with spec.tags() as tags:
        matching = [t for t in tags if t.name.lower() == ap.field.lower()]
        if not matching:
            raise _fail("append", ap.origin, f"{spec_name} has no {ap.field} field")
        for tag in matching:
            tag.value = tag.value + ap.value


def _section_append(section: Section, line: str) -> None:
    """Add a line after the section's last non-blank line (its trailing blank lines stay)."""
    at = len(section)
    while at and not section[at - 1].strip():
        at -= 1
    section.insert(at, line)


def _new_field(spec: Specfile, nf: m.NewField) -> None:
    with spec.tags() as tags:
        same = [i for i, t in enumerate(tags) if t.name.lower() == nf.key.lower()]
        at = (same[-1] if same else len(tags) - 1) + 1
        tags.insert(at, Tag(nf.key, nf.value, ": ", Comments()))


def _changelog(spec: Specfile, cl: m.Changelog, when: datetime, spec_name: str) -> None:
    with spec.sections() as sections:
        if "changelog" not in sections:
            raise _fail("changelog", cl.origin, f"{spec_name} has no %changelog section")
    if spec.has_autochangelog:
        raise _fail("changelog", cl.origin, f"{spec_name} uses %autochangelog")
    entry = [f"- {line}" for line in cl.message]
    spec.add_changelog_entry(
        entry, author=cl.author_name, email=cl.author_email, timestamp=when.date()
    )
