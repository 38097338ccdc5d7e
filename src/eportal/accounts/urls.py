"""The account pages' addresses, in Norwegian: login, registration, help with login, «Min side», BankID."""

from django.urls import path

from .views import bankid, login, my_page, password_reset, registration, staff

app_name = "accounts"
urlpatterns = [
    path("logg-inn/", login.login_choice, name="login"),
    path("logg-inn/engangspassord/", login.login_sms, name="login-sms"),
    path("logg-inn/kode/", login.login_code, name="login-code"),
    path("logg-inn/kode/ny/", login.login_code_resend, name="login-code-resend"),
    path("logg-ut/", login.logout_view, name="logout"),
    path("registrer/", registration.register, name="register"),
    path("registrer/sendt/", registration.registered, name="registered"),
    path("aktiver/<str:uidb64>/<str:token>/", registration.activate_link, name="activate"),
    path("aktiver/<str:uidb64>/", registration.activate_confirm, name="activate-confirm"),
    path("aktiver-ny-lenke/", registration.resend_activation, name="resend-activation"),
    path("hjelp-til-innlogging/", password_reset.login_help, name="login-help"),
    path("nytt-passord/<str:uidb64>/<str:token>/", password_reset.reset_link, name="reset"),
    path("nytt-passord/<str:uidb64>/", password_reset.reset_confirm, name="reset-confirm"),
    path("min-side/", my_page.my_page, name="my-page"),
    path("min-side/okter/<int:session_id>/avslutt/", my_page.end_session, name="end-session"),
    path("min-side/opplysninger/", my_page.my_details, name="my-details"),
    path("min-side/passord/", my_page.change_password, name="change-password"),
    path("e-post/<str:uidb64>/<str:token>/", my_page.confirm_email_link, name="confirm-email"),
    path("e-post/<str:uidb64>/", my_page.confirm_email_page, name="confirm-email-page"),
    path("personale/logg-inn/", staff.staff_login, name="staff-login"),
    path("logg-inn/bankid/", bankid.bankid_start, name="bankid-start"),
    path("logg-inn/bankid/retur/", bankid.bankid_callback, name="bankid-callback"),
    path("logg-inn/bankid/ny-bruker/", bankid.bankid_new_user, name="bankid-new-user"),
]
