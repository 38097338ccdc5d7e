"""Template filters that show stored values as people write them: `{% load eportal_format %}`."""

from django import template

from eportal.identity.mobile import display_mobile

register = template.Library()


@register.filter
def mobile(value) -> str:
    """«406 07 558» for a Norwegian mobile stored as +4740607558; a foreign one in international format."""
    return display_mobile(str(value)) if value else ""
