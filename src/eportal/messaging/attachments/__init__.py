"""The checks an attachment to a patient message passes before it is stored (OWASP File Upload Cheat Sheet):
the type from the content alone, photos re-encoded to bare pixels, PDFs refused when they carry active content.
"""

import dataclasses
import re
import unicodedata

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .common import JPEG, PDF, PNG, AttachmentRefused, empty, too_large
from .images import reencoded
from .pdf import check_pdf

__all__ = ["AttachmentRefused", "CleanAttachment", "check_count", "clean_upload", "JPEG", "PNG", "PDF"]

_EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
# filetype names an animated PNG apart; it is still a PNG, and only its first frame is kept.
_SNIFFED = {JPEG: {"image/jpeg"}, PNG: {"image/png", "image/apng"}, PDF: {"application/pdf"}}
_NAME_LENGTH = 80
_NAME_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}


@dataclasses.dataclass(frozen=True)
class CleanAttachment:
    name: str
    content_type: str
    data: bytes


def check_count(files: list) -> None:
    limit = settings.EPORTAL_ATTACHMENT_MAX_COUNT
    if len(files) <= limit:
        return
    if limit == 0:
        raise AttachmentRefused(_("Messages cannot have attachments."))
    raise AttachmentRefused(
        ngettext(
            "You can attach at most %(count)s file to a message.",
            "You can attach at most %(count)s files to a message.",
            limit,
        )
        % {"count": limit}
    )


def clean_upload(upload) -> CleanAttachment:
    """The attachment as it may be stored, or AttachmentRefused saying why not."""
    shown = str(upload.name or "")[:_NAME_LENGTH]
    data = _read(upload, shown)
    content_type = _content_type(data, shown)
    if content_type == PDF:
        check_pdf(data, shown)
    else:
        data = reencoded(data, content_type, shown)
    return CleanAttachment(name=_display_name(upload.name, content_type), content_type=content_type, data=data)


def _display_name(uploaded_name, content_type: str) -> str:
    """The uploaded stem with harmless characters only (no path, no control or bidi characters), and the
    extension of the type the content has."""
    name = unicodedata.normalize("NFC", str(uploaded_name or ""))
    name = re.split(r"[/\\]", name)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    kept = "".join(c for c in stem if c in " -_." or unicodedata.category(c) in _NAME_CATEGORIES)
    kept = re.sub(r" +", " ", kept)[:_NAME_LENGTH].strip(" .-")
    return (kept or "vedlegg") + _EXTENSIONS[content_type]


# Reading and sniffing


def _read(upload, shown: str) -> bytes:
    limit = settings.EPORTAL_ATTACHMENT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large(shown, limit)
    if size == 0:
        raise empty(shown)
    # The size the client declared is not trusted: never read more than one byte past the limit (chunks() of
    # an upload held in memory would hand over all of it at once).
    upload.seek(0)
    data = bytearray()
    while chunk := upload.read(limit + 1 - len(data)):
        data += chunk
        if len(data) > limit:
            raise too_large(shown, limit)
    if not data:
        raise empty(shown)
    return bytes(data)


def _content_type(data: bytes, shown: str) -> str:
    """JPEG, PNG or PDF by their magic numbers, confirmed by filetype; never from the name or the browser."""
    own = next((content_type for magic, content_type in _MAGIC if data.startswith(magic)), None)
    sniffed = filetype.guess(data[:8192])
    if own is None or sniffed is None or sniffed.mime not in _SNIFFED[own]:
        raise AttachmentRefused(
            _("«%(name)s» is not a picture or a PDF. Attachments can be pictures (JPG or PNG) or PDF.")
            % {"name": shown}
        )
    return own
