"""Actors: network + objective -> (loss, stats). One module per training family.

Import an actor from its own module (``from ltr.actors.bbreg import AtomActor``); the names below are re-exported for
existing code only, a new actor does not need to be added here.
"""

from ltr.actors.base_actor import BaseActor
from ltr.actors.bbreg import AtomActor

__all__ = ["BaseActor", "AtomActor"]
