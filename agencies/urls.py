from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns = [
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
]
