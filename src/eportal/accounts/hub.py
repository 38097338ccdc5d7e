"""What «Min side» shows of the other apps: whom one acts for, the next appointment, unread messages and the
services the person may use.

Accounts sits below representation, booking and messaging, so it cannot ask them itself: each of them
registers a part here in its AppConfig.ready(). A part takes the actor and the context the parts before it
made (representation's part comes first: the decision the others read) and returns what it adds. Each part
costs a constant number of queries.
"""

from collections.abc import Callable

from eportal.core.actor import Actor

Part = Callable[[Actor, dict], dict]

_parts: list[tuple[int, str, Part]] = []


def register(part: Part, *, order: int) -> None:
    """Add a part (once; a second registration of the same function replaces the first)."""
    name = f"{part.__module__}.{part.__qualname__}"
    _parts[:] = [entry for entry in _parts if entry[1] != name]
    _parts.append((order, name, part))
    _parts.sort(key=lambda entry: (entry[0], entry[1]))


def hub_context(actor: Actor) -> dict:
    """Every registered part's context for Min side, in order."""
    context: dict = {}
    for _order, _name, part in _parts:
        context.update(part(actor, context) or {})
    return context
