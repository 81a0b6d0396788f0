from django.urls import path, re_path

from sessions import views

app_name = "schedule"
urlpatterns = [
    path("", views.home, name="home"),
    path("schedule/", views.week, name="week"),
    # Anything else under /schedule/ is a 404 page, including malformed weeks.
    re_path(r"^schedule/(?P<week>\d{4}-W\d{2})/$", views.week, name="week"),
    path("schedule/print/", views.poster, name="poster"),
    re_path(r"^schedule/(?P<week>\d{4}-W\d{2})/print/$", views.poster, name="poster"),
    path("schedule.ics", views.calendar_feed, name="calendar_feed"),
    path("screen/<slug:venue>/", views.screen, name="screen"),
    path("agency-colours.css", views.agency_colours, name="agency_colours"),
    # Who helps where, with their next times.
    path("help/", views.help_finder, name="help"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<slug:slug>/", views.agency_detail, name="agency"),
    path("venues/<slug:slug>/", views.venue_detail, name="venue"),
    path("try/", views.try_page, name="try"),
]
