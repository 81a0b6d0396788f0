from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from eserviceverkstad import views
from visitors.forms import StaffLoginForm

# A lost database connection answers 503 "try again", any other error 500.
handler500 = "eserviceverkstad.views.server_error"
# The admin names the product, not the framework ("Django-administration").
admin.site.site_header = _("E-serviceverkstad – administration")
admin.site.site_title = _("E-serviceverkstad – administration")
admin.site.index_title = _("Schedule, places and visits")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Only POST changes the language; Django's view would redirect a GET.
    # CSRF-exempt: the worst a forged request can do is switch someone's
    # language, and without a token every public page can be cached whole.
    path("i18n/setlang/", csrf_exempt(require_POST(set_language)), name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/tasks", views.healthz_tasks, name="healthz_tasks"),
    path("robots.txt", views.robots, name="robots"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=StaffLoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("", include("visitors.urls")),
    path("", include("agencies.urls")),
    path("", include("sessions.urls")),
    # Last: /<municipality>/ takes any first segment not used above.
    path("", include("sessions.municipality_urls")),
]
