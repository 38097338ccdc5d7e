"""Message texts and attachments encrypted at rest: a new key encrypts, old keys still decrypt, `eportal
rotate-keys` moves everything to the new key, and a value no key opens fails loudly without showing itself."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from PIL import Image

from eportal.messaging import crypto, services
from eportal.messaging.models import Attachment, Message, Thread
from eportal.messaging.rotation import counts_by_key, rotate_keys
from eportal.representation.policy import Capability
from tests.factories import grant_for

OLD = ("old", Fernet.generate_key().decode())
NEW = ("new", Fernet.generate_key().decode())


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 0)).save(buffer, "PNG")
    return SimpleUploadedFile("bilde.png", buffer.getvalue(), content_type="image/png")


def write_messages(patient, count=3):
    return [
        services.start_thread(
            grant=grant_for(patient, Capability.MESSAGES),
            kind="reception",
            subject=f"Emne {number}",
            body=f"Innhold {number}",
            uploads=[png()],
        )  # fmt: skip
        for number in range(count)
    ]


def raw_values() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject_sealed FROM messaging_thread")
        found = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT body_sealed FROM messaging_message")
        found += [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT name_sealed, data_sealed FROM messaging_attachment")
        for name, data in cursor.fetchall():
            found += [name, data]
    return found


def test_a_value_is_sealed_under_the_current_key_and_opens_again():
    with override_settings(EPORTAL_MESSAGE_KEYS=[NEW, OLD]):
        sealed = crypto.seal_text("Jeg har vondt i ryggen")
        assert sealed.startswith("new:") and "ryggen" not in sealed
        assert crypto.unseal_text(sealed) == "Jeg har vondt i ryggen"
        assert crypto.seal_text("samme") != crypto.seal_text("samme")  # a fresh IV every time


def test_old_keys_still_decrypt_after_a_new_key_is_put_first():
    with override_settings(EPORTAL_MESSAGE_KEYS=[OLD]):
        sealed = crypto.seal_text("skrevet før nøkkelbyttet")
    with override_settings(EPORTAL_MESSAGE_KEYS=[NEW, OLD]):
        assert crypto.unseal_text(sealed) == "skrevet før nøkkelbyttet"
        assert not crypto.is_current(sealed)
        assert crypto.reseal(sealed).startswith("new:")


def test_a_value_no_key_opens_raises_and_is_logged_without_its_content(caplog):
    with override_settings(EPORTAL_MESSAGE_KEYS=[OLD]):
        sealed = crypto.seal_text("hemmelig")
    with (
        override_settings(EPORTAL_MESSAGE_KEYS=[NEW]),
        caplog.at_level(logging.ERROR),
        pytest.raises(crypto.Undecryptable),
    ):
        crypto.unseal_text(sealed, what="message 7")
    assert "message 7" in caplog.text and "'old'" in caplog.text
    assert sealed[4:20] not in caplog.text
    damaged = sealed[:-6] + "AAAAAA"
    with override_settings(EPORTAL_MESSAGE_KEYS=[OLD]), pytest.raises(crypto.Undecryptable):
        crypto.unseal_text(damaged)


def test_a_thread_that_does_not_decrypt_fails_loudly_never_showing_ciphertext(logged_in, family, caplog):
    with override_settings(EPORTAL_MESSAGE_KEYS=[OLD]):
        message = write_messages(family["kari"], count=1)[0]
    logged_in.raise_request_exception = False
    with override_settings(EPORTAL_MESSAGE_KEYS=[NEW]), caplog.at_level(logging.ERROR):
        response = logged_in.get(f"/meldinger/{message.thread_id}/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "old:" not in page and "Innhold" not in page
    assert f"thread {message.thread_id} subject" in caplog.text or f"message {message.pk}" in caplog.text


@pytest.mark.django_db
def test_rotate_keys_moves_every_value_to_the_new_key_in_batches(family):
    with override_settings(EPORTAL_MESSAGE_KEYS=[OLD]):
        write_messages(family["kari"], count=3)
        before = raw_values()
    assert all(value.startswith("old:") for value in before) and len(before) == 12
    with override_settings(EPORTAL_MESSAGE_KEYS=[NEW, OLD]):
        seen = []
        result = rotate_keys(batch_scale=0.005, progress=lambda label, count: seen.append((label, count)))
        assert result.rewritten == 12 and result.failed == []
        assert ("message.body_sealed", 2) in seen  # batches of 2 (500 * 0.005)
        assert counts_by_key() == {"new": 12}
        assert rotate_keys().rewritten == 0  # nothing left to do
    with override_settings(EPORTAL_MESSAGE_KEYS=[NEW]):  # the old key can go now
        assert sorted(thread.subject for thread in Thread.objects.all()) == ["Emne 0", "Emne 1", "Emne 2"]
        assert sorted(message.body for message in Message.objects.all()) == ["Innhold 0", "Innhold 1", "Innhold 2"]
        assert all(Image.open(io.BytesIO(attachment.data)).size == (8, 8) for attachment in Attachment.objects.all())


@pytest.mark.django_db
def test_rotate_keys_reports_values_it_cannot_open_and_moves_the_rest(family, capsys):
    with override_settings(EPORTAL_MESSAGE_KEYS=[OLD]):
        lost = write_messages(family["kari"], count=1)[0]
    with override_settings(EPORTAL_MESSAGE_KEYS=[NEW]):
        write_messages(family["kari"], count=1)
    third = ("third", Fernet.generate_key().decode())
    with override_settings(EPORTAL_MESSAGE_KEYS=[third, NEW]):
        with pytest.raises(CommandError, match="4 values could not be decrypted"):
            call_command("rotate_keys")
        output = capsys.readouterr()
        assert f"message {lost.pk} body_sealed" in output.err
        assert "4 values re-encrypted under key 'third'" in output.out
        assert counts_by_key() == {"third": 4, "old": 4}
