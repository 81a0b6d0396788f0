from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns = [
    path("help/", views.help_finder, name="help"),
    path("agencies/", views.agency_list, name="list"),
    path("agencies/<slug:slug>/", views.agency_detail, name="detail"),
    path("venues/<slug:slug>/", views.venue_detail, name="venue"),
    path("try/", views.try_page, name="try"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
]
