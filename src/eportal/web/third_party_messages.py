"""Strings the staff admin shows that other packages mark, and that our nb catalogue translates: Django's own
admin strings its nb catalogue lacks (newer than its translation), django-axes' and django-tasks-db's model,
field and status names. They are marked here, where nothing imports them, so that `makemessages` finds them in
our code and never drops their Norwegian text as obsolete (tests/test_i18n.py holds that it drops nothing)."""

# ruff: noqa: E501 - each string is the package's own, whole, so that it matches

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

DJANGO = (
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    gettext_noop("Add link"),
    gettext_noop("Added:"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Breadcrumbs"),
    gettext_noop("cancelled"),
    gettext_noop("Change or view list link"),
    gettext_noop("Changed:"),
    gettext_noop("Conflicting form data submitted. Please try again."),
    gettext_noop("Deleted:"),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Disabled"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("Enable password-based authentication for this user by setting a password."),
    gettext_noop("Enabled"),
    gettext_noop(
        "Ensure this value is a multiple of step size %(limit_value)s, starting from %(offset)s, e.g. %(offset)s, %(valid_value1)s, %(valid_value2)s, and so on."
    ),
    gettext_noop("Enter a valid %(protocol)s address."),
    gettext_noop("Enter a valid domain name."),
    gettext_noop(
        "Enter a valid username. This value may contain only unaccented lowercase a-z and uppercase A-Z letters, numbers, and @/./+/-/_ characters."
    ),
    gettext_noop("Filter navigation items"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("Hide counts"),
    gettext_noop("In case you’ve forgotten, you are:"),
    gettext_noop("IPv4 or IPv6"),
    gettext_noop("Model name"),
    gettext_noop("Password-based authentication"),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Select all objects on this page for an action"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Set password"),
    gettext_noop("Set password: %s"),
    gettext_noop("Show counts"),
    gettext_noop("Sidebar"),
    gettext_noop("Skip to main content"),
    gettext_noop("Start typing to filter…"),
    gettext_noop("String (unlimited)"),
    gettext_noop("Thanks for spending some quality time with the web site today."),
    gettext_noop("This action will <strong>enable</strong> password-based authentication for this user."),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("View selected %(model)s"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be able to authenticate using other backends, such as Single Sign-On or LDAP."
    ),
)


DJANGO_AXES = (
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("Access lock out"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Path"),
    gettext_noop("POST Data"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
)


DJANGO_TASKS_DB = (
    gettext_noop("args kwargs"),
    gettext_noop("backend name"),
    gettext_noop("enqueued at"),
    gettext_noop("Error:"),
    gettext_noop("exception class path"),
    pgettext_lazy("Task", "Failed"),
    gettext_noop("finished at"),
    gettext_noop("priority"),
    gettext_noop("queue name"),
    pgettext_lazy("Task", "Ready"),
    gettext_noop("return value"),
    pgettext_lazy("Task", "Running"),
    gettext_noop("started at"),
    pgettext_lazy("Task", "Successful"),
    gettext_noop("task path"),
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("traceback"),
    gettext_noop("worker id"),
)

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    0,
)
ENTRIES = ngettext_lazy("entry", "entries", 0)
