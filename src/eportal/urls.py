from django.contrib import admin
from django.urls import include, path

from eportal.notifications.views import demo_outbox

admin.site.site_header = "eportal – personale"
admin.site.site_title = "eportal – personale"

urlpatterns = [
    path("", include("eportal.clinic.urls")),
    path("personale/admin/", admin.site.urls),
    path("demo/utboks/", demo_outbox, name="demo-outbox"),
]
