"""PDFs refused when they carry active content (scripts, launch actions, embedded files, active forms) or
cannot be checked (encrypted, undecodable filters). Two looks: a byte scanner (names in any spelling, inside
compressed object streams, with a budget that refuses compression bombs), then a real parser (pypdf) that
resolves every object after every filter and predictor, as a PDF reader would."""

import base64
import io
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator

import pypdf
from django.conf import settings
from django.utils.translation import gettext as _
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from .common import AttachmentRefused, uncheckable

_WHITESPACE = b"\x00\t\n\x0c\r "
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_GAP = rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*+)"  # whitespace or a comment, as a PDF lexer skips them
_JS_VALUE = re.compile(_GAP + rb"*+[(<0-9]")
_GAPS = re.compile(_GAP + rb"*+")
# An object stream begins with pairs of integers (object number, offset): the one kind of stream a reader takes
# dictionaries from. Only these are scanned, so binary image data does not trip the check by chance.
_NUMBER = re.compile(rb"[+-]?[0-9.]*[0-9][0-9.]*")
_STREAM = re.compile(rb"(?<!end)stream")
_ASCII85 = re.compile(rb"[!-uz\x00\t\n\x0c\r ]*")
_ASCII_HEX = re.compile(rb"[0-9A-Fa-f\x00\t\n\x0c\r ]*")

_ACTIVE = frozenset(
    {
        b"JavaScript",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"XFA",
        b"RichMedia",
        b"SubmitForm",
        b"ImportData",
        b"GoToR",
        b"GoToE",
    }
)
_ENCRYPTED = frozenset({b"Encrypt", b"Crypt"})
# Filters this check does not decode: what they hide cannot be checked.
_UNDECODED = frozenset({b"LZWDecode", b"LZW", b"RunLengthDecode"})

_INFLATE_PIECE = 16 * 1024
_SCAN_OVERLAP = 1024
_SNIFF_LIMIT = 1024 * 1024
_MAX_DEPTH = 3
# Everything inflated while checking one PDF, as a multiple of the upload limit: enough for pages of images
# (a scanned page inflates to a few MB), and a compression bomb is refused after that much, not expanded.
_INFLATE_RATIO = 20
_TEXT_DECODE_RATIO = 2


class _Budget:
    def __init__(self, inflate: int, text: int, refusal: AttachmentRefused):
        self.inflate = inflate
        self.text = text
        self.refusal = refusal

    def spend_inflated(self, count: int) -> None:
        self.inflate -= count
        if self.inflate < 0:
            raise self.refusal

    def spend_text(self, count: int) -> None:
        self.text -= count
        if self.text < 0:
            raise self.refusal


def check_pdf(data: bytes, shown: str) -> None:
    """Refuse what a PDF reader could run or open by itself; the bytes are stored unchanged when they pass."""
    if b"%%EOF" not in data:
        raise AttachmentRefused(
            _("The PDF «%(name)s» could not be read. It may be damaged or incomplete.") % {"name": shown}
        )
    names: set[bytes] = set()
    _collect_names(data, names)
    _refuse_names(names, shown)
    max_bytes = settings.EPORTAL_ATTACHMENT_MAX_BYTES
    budget = _Budget(max_bytes * _INFLATE_RATIO, max_bytes * _TEXT_DECODE_RATIO, uncheckable(shown))
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        start = match.end()
        while start < len(data) and data[start] in _WHITESPACE:
            start += 1
        # Every stream, whatever its dictionary says (a dictionary can lie): whatever decodes is looked at.
        for decoded, pieces in _decodings(data, view, start, budget):
            _scan_object_stream(_unwrapped(pieces, decoded, budget), names)
    _refuse_names(names, shown)
    _refuse_names(_parsed_names(data, shown), shown)


def _parsed_names(data: bytes, shown: str) -> set[bytes]:
    """Every name in every object as pypdf reads them: objects in object streams too, after filter chains
    and predictors the byte scanner does not undo (Flate then ASCIIHex, PNG predictors). A file the parser
    cannot read is refused."""
    names: set[bytes] = set()
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return {b"Encrypt"}
        numbers = {(number, generation) for generation, rows in reader.xref.items() for number in rows}
        numbers |= {(number, 0) for number in reader.xref_objStm}
        for number, generation in sorted(numbers):
            _walk(reader.get_object(IndirectObject(number, generation, reader)), names)
    except AttachmentRefused:
        raise
    except Exception:  # noqa: BLE001 - whatever a hostile file makes the parser raise is a refusal, never a 500
        raise AttachmentRefused(
            _("The PDF «%(name)s» could not be read. It may be damaged or incomplete.") % {"name": shown}
        ) from None
    return names


def _walk(value, names: set[bytes]) -> None:
    """The names of a parsed object: its dictionaries' keys and name values, in nested dictionaries and arrays
    (not through references: every indirect object is visited on its own)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):  # a stream's dictionary too
            names.update(key[1:].encode("latin-1", "replace") for key in item)
            stack.extend(v for v in item.values() if not isinstance(v, IndirectObject))
        elif isinstance(item, ArrayObject):
            stack.extend(v for v in item if not isinstance(v, IndirectObject))
        elif isinstance(item, NameObject):
            names.add(item[1:].encode("latin-1", "replace"))


def _refuse_names(names: set[bytes], shown: str) -> None:
    if names & _ENCRYPTED:
        raise AttachmentRefused(
            _(
                "The PDF «%(name)s» is password protected or encrypted, so it cannot be checked. "
                "Send a PDF without protection."
            )
            % {"name": shown}
        )
    if names & _ACTIVE:
        raise AttachmentRefused(
            _(
                "The PDF «%(name)s» contains scripts, embedded files or active forms, and cannot be sent. "
                "Print it to a new PDF («Print to PDF»), or send a picture of it."
            )
            % {"name": shown}
        )
    if names & _UNDECODED:
        raise uncheckable(shown)


def _collect_names(data: bytes, names: set[bytes]) -> None:
    """Every PDF name in data, with #xx escapes undone as a reader does (/J#61vaScript is /JavaScript)."""
    for match in _NAME.finditer(data):
        name = match.group(1)
        if b"#" in name:
            name = _HEX_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), name)
        # /JS is short enough to occur by chance in binary data: count it only as a key with a value after it.
        if name != b"JS" or _JS_VALUE.match(data, match.end()):
            names.add(name)


def _decodings(data: bytes, view: memoryview, start: int, budget: _Budget) -> Iterator[tuple[bool, Iterable]]:
    """The ways the bytes after a stream keyword may decode: as they are (Flate or not), ASCII85, ASCII hex."""
    yield False, (view[start:],)
    text_start = start + 2 if data.startswith(b"<~", start) else start
    ascii85 = _ASCII85.match(data, text_start).group()
    if len(ascii85.translate(None, _WHITESPACE)) >= 5:
        budget.spend_text(len(ascii85))
        try:
            decoded = base64.a85decode(ascii85, ignorechars=_WHITESPACE)
        except ValueError:
            decoded = None
        if decoded is not None:
            yield True, (decoded,)
    ascii_hex = _ASCII_HEX.match(data, start).group().translate(None, _WHITESPACE)
    if len(ascii_hex) >= 4:
        budget.spend_text(len(ascii_hex))
        yield True, (bytes.fromhex((ascii_hex + b"0" if len(ascii_hex) % 2 else ascii_hex).decode("ascii")),)


def _unwrapped(pieces: Iterable, decoded: bool, budget: _Budget) -> Iterator:
    """The data inflated for as long as it is zlib data (Flate, Flate in Flate); nothing if nothing decoded."""
    for _depth in range(_MAX_DEPTH):
        first, pieces = _peek(pieces)
        if not _is_zlib_header(first):
            break
        pieces = _inflate(pieces, budget)
        decoded = True
    # Undecoded bytes were scanned already as part of the file.
    return iter(pieces) if decoded else iter(())


def _peek(pieces: Iterable) -> tuple[bytes, Iterator]:
    iterator = iter(pieces)
    for piece in iterator:
        if len(piece):
            return bytes(piece[:2]), itertools.chain((piece,), iterator)
    return b"", iter(())


def _is_zlib_header(head: bytes) -> bool:
    """Deflate (method 8, window at most 32 KiB), no preset dictionary, the header's check bits right."""
    return (
        len(head) == 2
        and head[0] & 0x0F == 8
        and head[0] >> 4 <= 7
        and not head[1] & 0x20
        and ((head[0] << 8) | head[1]) % 31 == 0
    )


def _inflate(pieces: Iterable, budget: _Budget) -> Iterator[bytes]:
    """Inflate for as far as the data goes, every byte in and out counted against the budget."""
    # Raw deflate after the two header bytes: a wrong checksum at the end stops no reader either.
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    skip = 2
    for piece in pieces:
        piece = memoryview(piece)
        dropped = min(skip, len(piece))
        piece, skip = piece[dropped:], skip - dropped
        for offset in range(0, len(piece), _INFLATE_PIECE):
            if inflater.eof:
                return
            part = piece[offset : offset + _INFLATE_PIECE]
            saved = inflater.copy()
            try:
                out = inflater.decompress(part)
            except zlib.error:
                yield from _salvaged(saved, part, budget)
                return
            budget.spend_inflated(len(part) + len(out))
            if out:
                yield out


def _salvaged(inflater, part: memoryview, budget: _Budget) -> Iterator[bytes]:
    """What inflates before the damage, as a lenient reader shows it: halve the part until the damage is found."""
    while len(part) and not inflater.eof:
        head = part[: max(1, len(part) // 2)]
        saved = inflater.copy()
        try:
            out = inflater.decompress(head)
        except zlib.error:
            if len(head) == 1:
                return
            inflater, part = saved, head
            continue
        budget.spend_inflated(len(head) + len(out))
        if out:
            yield out
        part = part[len(head) :]


def _scan_object_stream(pieces: Iterator, names: set[bytes]) -> None:
    """Collect the names in what may be an object stream; the rest is inflated too, so the budget counts it."""
    head = b""
    verdict = None
    tail = b""
    for piece in pieces:
        if verdict is None:
            head += bytes(piece)
            verdict = _object_stream_head(head, complete=False)
            if verdict is None:
                continue
            piece, head = head, b""
        if verdict:
            window = tail + bytes(piece)
            _collect_names(window, names)
            tail = window[-_SCAN_OVERLAP:]
    if verdict is None and _object_stream_head(head, complete=True):
        _collect_names(head, names)


def _object_stream_head(head: bytes, complete: bool) -> bool | None:
    """Whether data starts as an object stream does (two numbers); None while more data could still decide it."""
    if len(head) > _SNIFF_LIMIT:
        return True  # still undecided after that much (comments): look at all of it
    position = _GAPS.match(head).end()
    if position == len(head):
        return False if complete else None
    number = _NUMBER.match(head, position)
    if number is None:
        return False
    position = _GAPS.match(head, number.end()).end()
    if position == len(head):
        return False if complete else None
    return position > number.end() and head[position] in b"+-.0123456789"
