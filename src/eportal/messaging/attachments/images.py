"""Photos re-encoded to bare pixels: no EXIF (GPS), comments, profiles or bytes after the image; bombs refused
before a pixel is decoded."""

import io
import struct
import warnings

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from .common import JPEG, PNG, AttachmentRefused, too_many_pixels

_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG"}
# What Pillow raises on hostile or broken input; none of it may become a 500.
_PILLOW_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    struct.error,
    EOFError,
    MemoryError,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
)
_PNG_MODES = {"1", "L", "LA", "RGB", "RGBA", "I;16"}


def reencoded(data: bytes, content_type: str, shown: str) -> bytes:
    """The pixels alone, upright, in a fresh file: no EXIF (GPS), comments, profiles or bytes after the image."""
    max_pixels = settings.EPORTAL_ATTACHMENT_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow's own limit (it warns above 89 million pixels) as a refusal too. The filter is process-wide,
            # so another thread may reset it; the portal's lower limit below holds regardless.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[content_type]]) as image:
                # Image.open has read the header only: refuse a bomb before a single pixel is decoded.
                width, height = image.size
                if width * height > max_pixels:
                    raise too_many_pixels(shown, max_pixels)
                image.load()
                upright = ImageOps.exif_transpose(image)
            pixels = _bare(upright, content_type)
            out = io.BytesIO()
            if content_type == JPEG:
                pixels.save(out, format="JPEG", quality=85)
            else:
                pixels.save(out, format="PNG")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(shown, max_pixels) from None
    except _PILLOW_ERRORS:
        raise AttachmentRefused(
            _("The picture «%(name)s» could not be read. It may be damaged; try saving it again as JPG or PNG.")
            % {"name": shown}
        ) from None
    return out.getvalue()


def _bare(image: Image.Image, content_type: str) -> Image.Image:
    if content_type == JPEG:
        mode = "RGB"
    elif image.mode in ("RGBA", "LA"):
        mode = image.mode
    elif "transparency" in image.info or image.mode in ("P", "PA"):
        # A palette or a transparent colour becomes real pixels, since the info that carries it is dropped.
        mode = "RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB"
    else:
        mode = image.mode if image.mode in _PNG_MODES else "RGB"
    bare = image.convert(mode)
    # Pillow writes some of info back (a JPEG comment, a PNG's ICC profile): keep nothing but pixels.
    bare.info = {}
    return bare
