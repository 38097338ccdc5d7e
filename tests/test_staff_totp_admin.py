"""The staff admin shows whose TOTP devices there are, never their keys: a key is given by `eportal add-staff-totp`."""

import base64

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import client_for, make_staff

DEVICES = "/personale/admin/otp_totp/totpdevice/"


def _secrets(device) -> list[str]:
    return [device.key, device.key.upper(), base64.b32encode(device.bin_key).decode().rstrip("=")]


def test_the_admin_shows_staff_devices_but_never_their_keys(db):
    admin = client_for(make_staff("sjef", is_superuser=True))
    device = TOTPDevice.objects.get(user=make_staff("anne"))
    pages = [DEVICES, f"{DEVICES}{device.pk}/change/", f"{DEVICES}{device.pk}/history/"]
    for url in pages:
        response = admin.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "anne" in html and "otpauth" not in html
        assert not [secret for secret in _secrets(device) if secret in html], url
    for page in ["config", "qrcode"]:
        assert admin.get(f"{DEVICES}{device.pk}/{page}/").status_code == 404
    assert admin.get(f"{DEVICES}add/").status_code == 403
    assert admin.post(f"{DEVICES}add/", {"user": device.user_id, "name": "x", "key": "00" * 20}).status_code == 403


def test_the_admin_can_disable_a_device_but_not_change_its_key_or_owner(db):
    chief = make_staff("sjef", is_superuser=True)
    admin = client_for(chief)
    device = TOTPDevice.objects.get(user=make_staff("anne"))
    key = device.key
    response = admin.post(
        f"{DEVICES}{device.pk}/change/", {"name": "gammel telefon", "user": chief.pk, "key": "00" * 20}
    )  # confirmed left out: unticked
    assert response.status_code == 302
    device.refresh_from_db()
    assert (device.name, device.confirmed, device.key, device.user.username) == ("gammel telefon", False, key, "anne")
