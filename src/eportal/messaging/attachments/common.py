"""What the attachment checks share: the types allowed, and the refusals a patient reads (each naming the file)."""

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from eportal.core.errors import UserError

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"


class AttachmentRefused(UserError):
    """An attachment the portal will not store; str() is the Norwegian message naming the file."""

    code = "attachment_refused"


# The refusals


def too_large(shown: str, limit: int) -> AttachmentRefused:
    return AttachmentRefused(
        _("«%(name)s» is larger than %(limit)s. Attachments can be at most %(limit)s.")
        % {"name": shown, "limit": _size(limit)}
    )


def empty(shown: str) -> AttachmentRefused:
    return AttachmentRefused(_("The file «%(name)s» is empty.") % {"name": shown})


def too_many_pixels(shown: str, max_pixels: int) -> AttachmentRefused:
    return AttachmentRefused(
        _("The picture «%(name)s» has too many pixels. Pictures can have at most %(limit)s megapixels.")
        % {"name": shown, "limit": _number(max_pixels / 1_000_000)}
    )


def uncheckable(shown: str) -> AttachmentRefused:
    return AttachmentRefused(
        _(
            "The PDF «%(name)s» is built in a way that cannot be checked. "
            "Print it to a new PDF («Print to PDF»), or send a picture of it."
        )
        % {"name": shown}
    )


def _size(count: int) -> str:
    megabytes = count / (1024 * 1024)
    return f"{_number(megabytes)} MB" if megabytes >= 1 else filesizeformat(count)


def _number(value: float) -> str:
    return number_format(int(value) if value == int(value) else round(value, 1))
