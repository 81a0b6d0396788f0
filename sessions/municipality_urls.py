"""A municipality's own pages, /<municipality>/…, in an installation that
serves several (they work with one, too). Included last in the site's
URLconf: every other first path segment is the site's own, and a
municipality may not take one (agencies.models.validate_not_a_site_path)."""

from django.urls import path, re_path

from sessions import views

app_name = "municipality"
MUNICIPALITY = r"(?P<municipality>[-a-zA-Z0-9_]+)"
urlpatterns = [
    path("<slug:municipality>/", views.municipality_home, name="home"),
    path("<slug:municipality>/choose/", views.choose_municipality, name="choose"),
    path("<slug:municipality>/schedule/", views.week, name="week"),
    re_path(rf"^{MUNICIPALITY}/schedule/(?P<week>\d{{4}}-W\d{{2}})/$", views.week, name="week"),
    path("<slug:municipality>/schedule/print/", views.poster, name="poster"),
    re_path(rf"^{MUNICIPALITY}/schedule/(?P<week>\d{{4}}-W\d{{2}})/print/$", views.poster, name="poster"),
    path("<slug:municipality>/schedule.ics", views.calendar_feed, name="calendar_feed"),
    path("<slug:municipality>/help/", views.help_finder, name="help"),
]
