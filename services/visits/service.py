"""Rules of the visit calendar (built by issue #4)."""

from __future__ import annotations

from services.visits.repository import Repository
from services.visits.settings import VisitsSettings


class VisitsService:
    """The visits service's use cases."""

    def __init__(self, *, repository: Repository, settings: VisitsSettings) -> None:
        self.repository = repository
        self.settings = settings
