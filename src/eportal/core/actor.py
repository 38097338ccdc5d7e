"""Who is doing something, how strongly identified, from where and through which channel.

The web layer builds one Actor per request (the API will build it from a device token); services,
the audit log and rate limits take it instead of an HTTP request.
"""

import dataclasses
import ipaddress
from typing import Any

SUBSTANTIAL = "substantial"
HIGH = "high"
LEVEL_ORDER = {SUBSTANTIAL: 1, HIGH: 2}

WEB = "web"
SYSTEM = "system"  # background jobs and commands: no person at a keyboard

USER_AGENT_MAX = 300


def printable_user_agent(value: str) -> str:
    """Printable characters only, at most USER_AGENT_MAX: the value is shown to people and logged."""
    return "".join(ch for ch in (value or "")[:USER_AGENT_MAX] if ch.isprintable())


@dataclasses.dataclass(frozen=True)
class Actor:
    user: Any = None  # the logged-in user (AUTH_USER_MODEL), or None
    level: str | None = None  # the assurance level of this login (SUBSTANTIAL, HIGH), or None
    ip: str = ""  # the client's address as the transport saw it
    user_agent: str = ""
    channel: str = WEB
    operator: str = ""  # a command's operator where there is no user (the audit log says cli:<name>)
    # The list patient (id) the person chose to act for (a child, or someone who gave them fullmakt), or
    # None for themselves. Only a wish: representation's policy decides on every use whether it holds.
    acting_for: int | None = None
    # What one request has read already for this actor (the acting patient's row: Min side asks three times).
    # Not an init field, so each Actor (also one made by acting_as) starts with its own, empty.
    memo: dict = dataclasses.field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def network(self) -> str:
        """What to count and cap by: an IPv4 address, or the /64 an IPv6 client can roam within."""
        try:
            parsed = ipaddress.ip_address(self.ip)
        except ValueError:
            return self.ip
        if parsed.version == 6:
            return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
        return self.ip

    def meets(self, needed: str) -> bool:
        """Whether this login is at least as strong as `needed`."""
        return LEVEL_ORDER.get(self.level or "", 0) >= LEVEL_ORDER[needed]

    def acting_as(self, user) -> "Actor":
        """The same client, now known to be `user` (a link or a code just proved who they are)."""
        return dataclasses.replace(self, user=user)

    def label(self, role: str = "user") -> str:
        """How the audit log names the actor: `user:7` (or in a role: `staff:7`, `guardian:7`), `anonymous`,
        `system`."""
        if self.user is not None:
            return f"{role}:{self.user.pk}"
        if self.operator:
            return f"cli:{self.operator}"
        return "system" if self.channel == SYSTEM else "anonymous"


def system_actor(user=None, *, operator: str = "") -> Actor:
    """A background job or command; `user` when it works on a person's behalf (their own request), `operator`
    for the person who ran a command."""
    return Actor(user=user, channel=SYSTEM, operator=operator)
