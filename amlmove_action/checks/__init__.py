"""Prechecks (being split into modules: for now everything is in move_set.py)."""

from .move_set import *  # noqa: F403
