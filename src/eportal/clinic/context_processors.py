"""Template context every page needs: the clinic, for its name in the header."""

from .selectors import get_clinic


def clinic(request):
    """Every page shows the clinic's name in its header."""
    return {"clinic": get_clinic()}
