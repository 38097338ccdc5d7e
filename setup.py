"""Build step: the package is built with its gettext catalogues compiled (.po -> .mo), so that an installed
portal never writes into its own folder and runs from a read-only site-packages. Everything else about the
package is in pyproject.toml."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _i18n():
    """eportal/i18n.py, loaded on its own: the package and its dependencies are not installed while it builds."""
    spec = importlib.util.spec_from_file_location("_eportal_i18n", HERE / "src" / "eportal" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithCatalogues(build_py):
    """build_py, then the catalogues compiled beside the .po files it copied."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install runs from the source: compiled at start-up
            return
        locale_dir = Path(self.build_lib) / "eportal" / "locale"
        _i18n().compile_into(locale_dir, locale_dir)


setup(cmdclass={"build_py": BuildWithCatalogues})
