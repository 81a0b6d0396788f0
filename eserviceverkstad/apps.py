from django.apps import AppConfig


class EserviceverkstadConfig(AppConfig):
    name = "eserviceverkstad"
    verbose_name = "E-serviceverkstad"

    def ready(self):
        # Registers the system checks, and the login time for the idle logout.
        from eserviceverkstad import checks, idle_logout  # noqa: F401
