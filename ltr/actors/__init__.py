"""Actors: network + objective -> (loss, stats). One module per training family."""

from ltr.actors.base_actor import BaseActor
from ltr.actors.bbreg import AtomActor

__all__ = ["BaseActor", "AtomActor"]
