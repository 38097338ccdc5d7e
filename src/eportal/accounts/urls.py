from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("logg-inn/engangspassord/", views.login_sms, name="login-sms"),
    path("logg-inn/kode/", views.login_code, name="login-code"),
    path("logg-inn/kode/ny/", views.login_code_resend, name="login-code-resend"),
    path("logg-ut/", views.logout_view, name="logout"),
    path("registrer/", views.register, name="register"),
    path("registrer/sendt/", views.registered, name="registered"),
    path("aktiver/<str:uidb64>/<str:token>/", views.activate_link, name="activate"),
    path("aktiver/<str:uidb64>/", views.activate_confirm, name="activate-confirm"),
    path("aktiver-ny-lenke/", views.resend_activation, name="resend-activation"),
    path("hjelp-til-innlogging/", views.login_help, name="login-help"),
    path("nytt-passord/<str:uidb64>/<str:token>/", views.reset_link, name="reset"),
    path("nytt-passord/<str:uidb64>/", views.reset_confirm, name="reset-confirm"),
    path("min-side/", views.my_page, name="my-page"),
    path("min-side/okter/<int:session_id>/avslutt/", views.end_session, name="end-session"),
    path("min-side/opplysninger/", views.my_details, name="my-details"),
    path("min-side/passord/", views.change_password, name="change-password"),
    path("e-post/<str:uidb64>/<str:token>/", views.confirm_email_link, name="confirm-email"),
    path("e-post/<str:uidb64>/", views.confirm_email_done, name="confirm-email-done"),
    path("personale/logg-inn/", views.staff_login, name="staff-login"),
    path("logg-inn/bankid/", views.bankid_start, name="bankid-start"),
    path("logg-inn/bankid/retur/", views.bankid_callback, name="bankid-callback"),
    path("logg-inn/bankid/ny-bruker/", views.bankid_new_user, name="bankid-new-user"),
]
