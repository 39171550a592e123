"""Services with capacity that people pass through: treatment, temporary housing, the housing
office and follow-up teams. Each owns its queue or its places; the people own their own state."""

from sim.model import native

native.search_path(__path__, __name__)  # compiled copies first, if current (sim.model.native)

from sim.model.services.followup import FollowupTeam
from sim.model.services.housing_office import Application, HousingOffice
from sim.model.services.temporary import TemporaryHousing
from sim.model.services.treatment import Treatment

__all__ = ["Application", "FollowupTeam", "HousingOffice", "TemporaryHousing", "Treatment"]
