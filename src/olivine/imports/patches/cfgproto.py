"""srpmproc's `.cfg` directive files: protobuf text format against the message definitions of
srpmproc's proto/cfg.proto (mirrored in srpmproc_cfg.proto beside this file).

The descriptors are built here with descriptor_pb2, so neither protoc nor generated code is
needed; protobuf's own text_format parser reads the files."""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf.message import Message

F = descriptor_pb2.FieldDescriptorProto
STRING, BOOL, INT32, SINT32 = F.TYPE_STRING, F.TYPE_BOOL, F.TYPE_INT32, F.TYPE_SINT32
MSG, ENUM = F.TYPE_MESSAGE, F.TYPE_ENUM
REPEATED, OPTIONAL = F.LABEL_REPEATED, F.LABEL_OPTIONAL

# (name, number, type, label, type_name, oneof index)
FieldSpec = tuple[str, int, int, int, str | None, int | None]


def _message(
    name: str, fields: list[FieldSpec], oneofs: tuple[str, ...] = ()
) -> descriptor_pb2.DescriptorProto:
    m = descriptor_pb2.DescriptorProto(name=name)
    for oneof in oneofs:
        m.oneof_decl.add(name=oneof)
    for fname, number, ftype, label, type_name, oneof_index in fields:
        f = m.field.add(name=fname, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
        if oneof_index is not None:
            f.oneof_index = oneof_index
    return m


def _s(name: str, number: int, oneof: int | None = None) -> FieldSpec:
    return (name, number, STRING, OPTIONAL, None, oneof)


def _b(name: str, number: int, oneof: int | None = None) -> FieldSpec:
    return (name, number, BOOL, OPTIONAL, None, oneof)


def _rep(name: str, number: int, type_name: str | None = None) -> FieldSpec:
    return (name, number, MSG if type_name else STRING, REPEATED, type_name, None)


def _spec_change() -> descriptor_pb2.DescriptorProto:
    sc = ".srpmproc.SpecChange."
    file_op = _message(
        "FileOperation",
        [
            _s("name", 1),
            ("type", 2, ENUM, OPTIONAL, sc + "FileOperation.Type", None),
            _b("add", 3, 0),
            _b("delete", 4, 0),
            _b("add_to_prep", 5),
            ("n_path", 6, INT32, OPTIONAL, None, None),
        ],
        ("mode",),
    )
    enum = file_op.enum_type.add(name="Type")
    for i, v in enumerate(("Unknown", "Source", "Patch")):
        enum.value.add(name=v, number=i)
    msg = _message(
        "SpecChange",
        [
            _rep("file", 1, sc + "FileOperation"),
            _rep("changelog", 2, sc + "ChangelogOperation"),
            _rep("search_and_replace", 3, sc + "SearchAndReplaceOperation"),
            _rep("append", 4, sc + "AppendOperation"),
            _rep("new_field", 5, sc + "NewFieldOperation"),
            _b("disable_auto_align", 6),
        ],
    )
    msg.nested_type.extend(
        [
            file_op,
            _message(
                "ChangelogOperation",
                [_s("author_name", 1), _s("author_email", 2), _rep("message", 3)],
            ),
            _message(
                "SearchAndReplaceOperation",
                [
                    _s("field", 1, 0),
                    _b("any", 2, 0),
                    _b("starts_with", 3, 0),
                    _b("ends_with", 4, 0),
                    _s("find", 5),
                    _s("replace", 6),
                    ("n", 7, SINT32, OPTIONAL, None, None),
                ],
                ("identifier",),
            ),
            _message("AppendOperation", [_s("field", 1), _s("value", 2)]),
            _message("NewFieldOperation", [_s("key", 1), _s("value", 2)]),
        ]
    )
    return msg


def file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    fd = descriptor_pb2.FileDescriptorProto(
        name="srpmproc_cfg.proto", package="srpmproc", syntax="proto3"
    )
    p = ".srpmproc."
    fd.message_type.extend(
        [
            _message(
                "Replace",
                [
                    _s("file", 1),
                    _s("with_file", 2, 0),
                    _s("with_inline", 3, 0),
                    _s("with_lookaside", 4, 0),
                ],
                ("replacing",),
            ),
            _message("Delete", [_s("file", 1)]),
            _message("Add", [_s("file", 1, 0), _s("lookaside", 2, 0), _s("name", 3)], ("source",)),
            _message(
                "Lookaside",
                [
                    _rep("file", 1),
                    _b("tar", 2),
                    _s("archive_name", 3),
                    _b("from_patch_tree", 4),
                    _rep("files", 15),
                ],
            ),
            _spec_change(),
            _message("Patch", [_s("file", 1), _b("strict", 2)]),
            _message(
                "Cfg",
                [
                    _rep("replace", 1, p + "Replace"),
                    _rep("delete", 2, p + "Delete"),
                    _rep("add", 3, p + "Add"),
                    _rep("lookaside", 4, p + "Lookaside"),
                    ("spec_change", 5, MSG, OPTIONAL, p + "SpecChange", None),
                    _rep("patch", 6, p + "Patch"),
                ],
            ),
        ]
    )
    return fd


@functools.cache
def cfg_class() -> type[Message]:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_descriptor())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("srpmproc.Cfg"))


def parse_cfg(text: str) -> Any:
    """A srpmproc.Cfg message; text_format.ParseError (with line and column) when malformed."""
    msg = cfg_class()()
    text_format.Parse(text, msg)
    return msg


def field_lines(text: str) -> dict[tuple[str, ...], list[int]]:
    """Where each top-level field (and each field inside a top-level message) starts: the line
    of its n-th occurrence, so an error can name the line of the directive at fault. Walks the
    tokens with protobuf's own tokenizer (strings and comments are its business)."""
    tok = text_format.Tokenizer(text.splitlines())
    out: dict[tuple[str, ...], list[int]] = {}
    stack: list[str] = []
    expect_name = True
    while not tok.AtEnd():
        t = tok.token
        if t in ("{", "<"):
            expect_name = True
        elif t in ("}", ">"):
            stack = stack[:-1]
            expect_name = True
        elif expect_name and t not in (":", ",", ";", "[", "]"):
            line = tok.ParseError("").GetLine() or 0  # type: ignore[arg-type]
            if len(stack) < 2:
                out.setdefault((*stack, t), []).append(line)
            stack.append(t)
            expect_name = False
            tok.NextToken()
            if tok.TryConsume(":") and not (
                tok.LookingAt("{") or tok.LookingAt("<") or tok.LookingAt("[")
            ):
                _skip_value(tok)
                stack.pop()
                expect_name = True
            continue
        tok.NextToken()
    return out


def _skip_value(tok: text_format.Tokenizer) -> None:
    tok.NextToken()
    while tok.token.startswith(("'", '"')):  # adjacent string literals concatenate
        tok.NextToken()
