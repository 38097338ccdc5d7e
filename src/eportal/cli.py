"""The `eportal` command: demo, serve, worker, seed-demo, import-patients, and Django's own commands.

eportal demo [--port P] [--host H --expose]  migrate, seed the demo clinic if empty, serve with demo settings
eportal serve                        production server (gunicorn); needs SECRET_KEY and ALLOWED_HOSTS
eportal worker [--no-schedule]       run background jobs and the scheduled ones (slots, booking jobs, notices)
eportal seed-demo                    seed the demo clinic (idempotent)
eportal demo-staff-code              the demo staff user's current code (run where `eportal demo` runs)
eportal import-patients FILE         import the patient list exported from the journal system
eportal new-message-key              print a new key for EPORTAL_MESSAGE_KEYS
eportal rotate-keys                  re-encrypt messages and attachments under the first key
eportal backup FILE | restore FILE   back up the database while it runs / restore a backup (--force)
eportal migrate | shell | ...        any Django management command
"""

import os
import signal
import subprocess
import sys
from typing import NoReturn

DEMO_DATA_DIR = "eportal-demo"


def _refuse(message: object) -> NoReturn:
    print(f"eportal: {message}", file=sys.stderr)
    raise SystemExit(2)


def _setup_django() -> None:
    import django
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eportal.settings")
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        _refuse(exc)
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def _env_int(name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    """A number the command reads itself (some before Django's settings exist), refused like a bad setting."""
    from django.core.exceptions import ImproperlyConfigured

    from eportal.environment import env_int

    try:
        return env_int(name, default, minimum=minimum, maximum=maximum)
    except ImproperlyConfigured as exc:
        _refuse(exc)


def _demo(args: list[str]) -> None:
    import argparse
    import ipaddress

    parser = argparse.ArgumentParser(prog="eportal demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=_env_int("EPORTAL_PORT", 8000, minimum=1, maximum=65535))
    parser.add_argument(
        "--expose",
        action="store_true",
        help="allow a --host other than loopback: other machines then see the outbox (every code and link) and "
        "may log in as anyone with the test BankID, which listens on that host too",
    )
    options = parser.parse_args(args)
    host = options.host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None  # a host name: it may name any interface
    if not options.expose and not (host == "localhost" or (address and address.is_loopback)):
        _refuse(
            f"the demo does not serve {options.host}: its outbox shows every code and link sent, and its test "
            "BankID lets anyone log in as anyone, so they answer only on 127.0.0.1. "
            "Add --expose to serve the demo to other machines anyway."
        )
    if options.expose and (not host or (address and address.is_unspecified)):
        _refuse(
            f"--expose needs the address other machines reach this one at, not {options.host}: "
            "their browsers are sent to it for the test BankID."
        )
    netloc_host = f"[{host}]" if ":" in host else host
    os.environ["EPORTAL_ENV"] = "demo"
    os.environ["EPORTAL_DEMO_EXPOSED"] = "yes" if options.expose else "no"
    os.environ.setdefault("ALLOWED_HOSTS", ",".join(dict.fromkeys([netloc_host, "127.0.0.1", "localhost"])))
    os.environ.setdefault("EPORTAL_DATA_DIR", os.path.abspath(DEMO_DATA_DIR))
    os.environ.setdefault("EPORTAL_PUBLIC_URL", f"http://{netloc_host}:{options.port}/")
    # Answers to a message are told after a minute, not five: a new user waits for the notice in the outbox.
    os.environ.setdefault("EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES", "1")
    # BankID in the demo: a real OpenID Connect provider started in this process, on loopback (or exposed too).
    provider_port = _env_int("EPORTAL_DEMO_OIDC_PORT", options.port + 1, minimum=1, maximum=65535)
    provider_host = host if options.expose else "127.0.0.1"
    provider_netloc = netloc_host if options.expose else "127.0.0.1"
    if options.expose:  # Authlib, under the provider, accepts plain http on loopback only unless told
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    os.environ.setdefault(
        "EPORTAL_OIDC_DISCOVERY_URL", f"http://{provider_netloc}:{provider_port}/.well-known/openid-configuration"
    )
    os.environ.setdefault("EPORTAL_OIDC_CLIENT_ID", "eportal-demo")
    os.environ.setdefault("EPORTAL_OIDC_CLIENT_SECRET", "demo-secret")
    os.makedirs(os.environ["EPORTAL_DATA_DIR"], exist_ok=True)
    _setup_django()
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    from eportal.clinic.models import ListPatient
    from eportal.demo import oidc_provider
    from eportal.demo.banner import demo_banner
    from eportal.demo.clinic import seed_demo_clinic

    call_command("migrate", verbosity=0, interactive=False)
    if not ListPatient.objects.exists():
        print(_("Creating the demo clinic (takes a few seconds) ..."), flush=True)
        seed_demo_clinic()
    oidc_provider.start_in_background(port=provider_port, host=provider_host)
    base_url = f"http://{netloc_host}:{options.port}"
    print(demo_banner(base_url), flush=True)
    # The background worker delivers notices to the demo outbox, and runs the scheduled jobs (reminders,
    # waiting-list offers whose hold ran out: every minute in the demo) as it does in production.
    worker = subprocess.Popen(
        [sys.executable, "-m", "eportal.cli", "worker", "--queue-name", "*", "--interval", "1", "--no-reload"]
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` stops the worker too
    try:
        call_command("runserver", f"{netloc_host}:{options.port}", use_reloader=False, skip_checks=True)
    finally:
        worker.terminate()
        worker.wait(timeout=10)


def _find_the_demo() -> None:
    """`eportal demo-staff-code` typed in the folder where `eportal demo` runs: the demo's data (./eportal-demo)
    and mode without typing them. EPORTAL_DATA_DIR, when set, still says where the data is; the command itself
    says so if no demo database is there."""
    if not os.environ.get("EPORTAL_DATA_DIR"):
        os.environ["EPORTAL_DATA_DIR"] = os.path.abspath(DEMO_DATA_DIR)
        os.environ.setdefault("EPORTAL_ENV", "demo")


def _serve(args: list[str]) -> None:
    _setup_django()
    from django.conf import settings

    if not settings.ALLOWED_HOSTS:
        _refuse("set ALLOWED_HOSTS (comma-separated host names) before serving.")
    bind = os.environ.get("EPORTAL_BIND", "127.0.0.1:8000")
    workers = str(_env_int("EPORTAL_WORKERS", 2 * (os.cpu_count() or 1) + 1, minimum=1))
    command = [sys.executable, "-m", "gunicorn", "eportal.wsgi:application", "--bind", bind]
    command += [
        "--workers",
        workers,
        "--access-logfile",
        "-",
        "--logger-class",
        "eportal.gunicorn_logging.RedactingLogger",
    ]
    command += args
    os.execv(sys.executable, command)  # noqa: S606 - replace this process with gunicorn


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    if command == "demo":
        _demo(rest)
        return
    if command == "serve":
        _serve(rest)
        return
    if command == "new-message-key":  # before Django: production settings refuse to start without a key
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode("ascii"))
        return
    if command == "demo-staff-code":
        _find_the_demo()
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["eportal", command.replace("-", "_"), *rest])


if __name__ == "__main__":
    main()
