from .selectors import get_clinic


def clinic(request):
    """Every page shows the clinic's name in its header."""
    return {"clinic": get_clinic()}
