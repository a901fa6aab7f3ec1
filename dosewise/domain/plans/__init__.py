"""Pure planners for titrations, tapers and switches (issue 7; docs/plans.md)."""

from dosewise.domain.plans.model import Plan, PlanError, PlanRefused, PlanStep
from dosewise.domain.plans.switch import switch
from dosewise.domain.plans.taper import taper
from dosewise.domain.plans.titration import titrate

__all__ = ["Plan", "PlanError", "PlanRefused", "PlanStep", "switch", "taper", "titrate"]
