"""The nb catalogue is complete: every string the code and templates mark has a Norwegian text."""

import shutil
from pathlib import Path

from babel.messages.pofile import read_po
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

import eportal

PACKAGE = Path(eportal.__file__).parent
CATALOGUE = PACKAGE / "locale" / "nb" / "LC_MESSAGES" / "django.po"


def untranslated(po_path: Path) -> list[str]:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    return [message.id for message in catalog if message.id and (message.fuzzy or not _complete(message.string))]


def _complete(translation_) -> bool:
    """A translation, or every plural form of one (babel gives plurals as a tuple, empty strings if untranslated)."""
    if isinstance(translation_, tuple):
        return all(translation_)
    return bool(translation_)


def test_every_message_in_the_catalogue_is_translated():
    assert untranslated(CATALOGUE) == []


def message_ids(po_path: Path) -> set[str]:
    with po_path.open("rb") as po_file:
        return {
            message.id if isinstance(message.id, str) else message.id[0] for message in read_po(po_file) if message.id
        }


def test_the_catalogue_is_exactly_what_the_code_marks(tmp_path, monkeypatch):
    """Extract the strings afresh from a copy of the code (GNU gettext's xgettext) and compare: nothing marked is
    missing, and nothing in the catalogue would be dropped as obsolete by the next makemessages (the third-party
    apps' names the admin shows are marked in eportal.staff.third_party_names for that reason)."""
    copy = tmp_path / "eportal"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["nb"], no_location=True, no_obsolete=True, verbosity=0)
    fresh = copy / "locale" / "nb" / "LC_MESSAGES" / "django.po"
    assert untranslated(fresh) == []
    assert sorted(message_ids(CATALOGUE) - message_ids(fresh)) == []


def test_compiled_catalogue_is_used():
    with translation.override("nb"):
        assert translation.gettext("Log in") == "Logg inn"
        assert translation.gettext("One-time password on mobile") == "Engangspassord på mobil"
