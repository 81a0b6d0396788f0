from django.contrib import admin
from django.urls import include, path

from eserviceverkstad import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots, name="robots"),
    path("", include("sessions.urls")),
]
