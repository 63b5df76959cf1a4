"""Who sees which campaign's wallboard: the campaigns themselves, seen through the wallboard's
own access policy (supervisors and managers only, each at their scope)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.models import Campaign
from dialcrm.core.choices import Role
from dialcrm.core.policy import VIEW, Policy, team_ids

WALLBOARD_VIEWERS = frozenset(
    {Role.ADMINISTRATOR, Role.MANAGER, Role.LOCATION_MANAGER, Role.TEAM_LEADER}
)


class CampaignWallboard(Campaign):
    """A campaign's live wallboard: a manager sees every campaign of the company, a location
    manager those of their location, a team leader those their teams (or their agents) work on."""

    policy = Policy(
        company="client__company",
        location="location",
        team=lambda user: Q(teams__in=team_ids(user)) | Q(agents__team__in=team_ids(user)),
        roles={VIEW: WALLBOARD_VIEWERS},
        distinct=True,
    )

    class Meta:
        proxy = True
        verbose_name = _("wallboard")
        verbose_name_plural = _("wallboards")
