"""Object permissions of the core app (autodiscovered by ``rules``)."""

import rules

from .permissions import is_admin, staff_member

rules.add_perm("core.access_staff_area", staff_member)
rules.add_perm("core.manage_organisation", is_admin)
