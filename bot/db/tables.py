"""Every table of every feature, imported in one place so that Alembic and the tests see them all.

Each feature keeps its models in its own package; nothing else should import this module.
"""

from __future__ import annotations

from bot.assessment import models as assessment_models
from bot.booking import models as booking_models
from bot.broadcasts import models as broadcast_models
from bot.kit import update_claims
from bot.people import models as people_models
from bot.plans import models as plan_models

__all__ = [
    "assessment_models",
    "booking_models",
    "broadcast_models",
    "people_models",
    "plan_models",
    "update_claims",
]
