"""`eportal demo-staff-code`, typed in the folder where `eportal demo` runs, as a new user types it: no
EPORTAL_* variables, the demo's folder and mode found by the command itself."""

import sqlite3
from binascii import unhexlify

from django_otp.oath import TOTP

from tests.test_settings_and_cli import eportal


def _seeded_demo(folder):
    """A demo database in folder/eportal-demo, made the way `eportal demo` makes it."""
    env = {"EPORTAL_ENV": "demo", "EPORTAL_DATA_DIR": str(folder / "eportal-demo")}
    (folder / "eportal-demo").mkdir()
    for command in ["migrate", "seed-demo"]:
        done = eportal(command, env=env, cwd=folder, timeout=300)
        assert done.returncode == 0, done.stderr


def _staff_device_key(database) -> bytes:
    with sqlite3.connect(database) as connection:
        (key,) = connection.execute(
            "SELECT d.key FROM otp_totp_totpdevice d JOIN accounts_user u ON u.id = d.user_id "
            "WHERE u.username = 'personale'"
        ).fetchone()
    return unhexlify(key)


def test_in_the_demos_folder_it_prints_a_code_the_staff_device_accepts(tmp_path):
    _seeded_demo(tmp_path)
    done = eportal("demo-staff-code", cwd=tmp_path)  # no EPORTAL_ENV, no EPORTAL_DATA_DIR
    assert done.returncode == 0, done.stderr
    code = done.stdout.strip()
    assert len(code) == 6 and code.isdigit(), done.stdout
    assert TOTP(_staff_device_key(tmp_path / "eportal-demo" / "eportal.sqlite3"), drift=0).verify(int(code), 1)


def test_elsewhere_it_says_where_to_run_it_and_makes_no_database(tmp_path):
    done = eportal("demo-staff-code", cwd=tmp_path)
    assert done.returncode != 0
    assert "Fant ingen demo" in done.stderr and "i mappen der du kjører `eportal demo`" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "eportal-demo").mkdir()  # the folder, but no database in it
    done = eportal("demo-staff-code", cwd=tmp_path)
    assert done.returncode != 0 and "Fant ingen demo" in done.stderr, done.stderr
    assert list((tmp_path / "eportal-demo").iterdir()) == []
