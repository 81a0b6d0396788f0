from django.urls import path, re_path, register_converter

from eserviceverkstad.fields import IdConverter
from visitors import booking_views, offline_views, views

register_converter(IdConverter, "id")

app_name = "visitors"
urlpatterns = [
    path("staff/start/", views.start, name="start"),
    path("staff/", views.my_day, name="my_day"),
    path("staff/visits/", views.visit_list, name="visit_list"),
    path("staff/visits/new/", views.visit_new, name="visit_new"),
    path("staff/visits/<id:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("staff/visits/<id:pk>/delete/", views.visit_delete, name="visit_delete"),
    path("staff/changes/", views.change_log, name="change_log"),
    path("staff/tally/<id:pk>/", views.tally, name="tally"),
    path("staff/tally/<id:pk>/tap/", views.tally_tap, name="tally_tap"),
    path("staff/tally/<id:pk>/save/", views.tally_save, name="tally_save"),
    path("staff/stats/", views.statistics, name="stats"),
    path("staff/stats/export.csv", views.statistics_export_csv, name="stats_export_csv"),
    path("staff/stats/export.xlsx", views.statistics_export_xlsx, name="stats_export_xlsx"),
    path("staff/stats/exports/<id:pk>/", views.stats_export_job, name="stats_export_job"),
    path("staff/stats/exports/<id:pk>/download/", views.stats_export_download, name="stats_export_download"),
    path("open-data/", views.open_data_page, name="open_data"),
    re_path(
        r"^open-data/(?P<month>\d{4}-\d{2})\.(?P<extension>csv|json)$",
        views.open_data_month,
        name="open_data_month",
    ),
    # The offline web app (visitors/offline_views.py).
    path("staff/visits/sync/", offline_views.visit_sync, name="visit_sync"),
    path("staff/csrf/", offline_views.csrf_token, name="csrf_token"),
    path("staff/sw.js", offline_views.service_worker, name="service_worker"),
    path("staff/manifest.webmanifest", offline_views.manifest, name="manifest"),
]

# Booking: public pages (visitors/booking_views.py).
urlpatterns += [
    path("book/<id:pk>/", booking_views.book, name="book"),
    path("book/booked/<str:token>/", booking_views.booking_done, name="booking_done"),
    path("book/cancel/<str:token>/", booking_views.booking_cancel, name="booking_cancel"),
    path("book/<id:pk>/wait/", booking_views.waiting_list_join, name="waiting_list_join"),
    path("book/offer/<str:token>/", booking_views.waiting_list_offer, name="waiting_list_offer"),
    path("book/waiting/<str:token>/leave/", booking_views.waiting_list_leave, name="waiting_list_leave"),
]
# Booking: staff pages.
urlpatterns += [
    path("staff/book/<id:pk>/", booking_views.staff_book, name="staff_book"),
    path("staff/bookings/<id:pk>/slip/", booking_views.booking_slip, name="booking_slip"),
    path("staff/bookings/<id:pk>/mark/", booking_views.booking_mark, name="booking_mark"),
    path("staff/bookings/<id:pk>/erase/", booking_views.booking_erase, name="booking_erase"),
    path("staff/offers/<id:pk>/take/", booking_views.waiting_list_take_for, name="waiting_list_take_for"),
    path("staff/outbox/", booking_views.outbox, name="outbox"),
]
