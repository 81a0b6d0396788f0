from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agencies and venues")

    def ready(self):
        from django.db.models.signals import post_migrate

        from agencies import checks  # noqa: F401  (registers the system checks)
        from agencies.permissions import create_role_groups_after_migrate

        post_migrate.connect(
            create_role_groups_after_migrate, sender=self, dispatch_uid="agencies-role-groups"
        )
