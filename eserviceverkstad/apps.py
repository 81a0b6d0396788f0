from django.apps import AppConfig


class EserviceverkstadConfig(AppConfig):
    name = "eserviceverkstad"
    verbose_name = "E-serviceverkstad"

    def ready(self):
        from eserviceverkstad import checks  # noqa: F401 - registers the system checks
