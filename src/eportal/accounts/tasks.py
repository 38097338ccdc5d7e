"""Background jobs of accounts: the lookups behind «send me a link», kept out of the web request so that
its answer cannot tell whether an account exists."""

from django_tasks import task


@task()
def password_reset_task(*, national_id: str, base_url: str) -> None:
    from .services import send_reset_link

    send_reset_link(national_id=national_id, base_url=base_url)


@task()
def resend_activation_task(*, national_id: str, email: str, base_url: str) -> None:
    from .services import send_new_activation_link

    send_new_activation_link(national_id=national_id, email=email, base_url=base_url)
