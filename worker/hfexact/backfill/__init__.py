"""The first export at Exact's pace: the planner's arithmetic (``plan``), its inputs
(``sources``: the PHP backfill's dry run, the store's budget) and the paced worker mode
(``pacing``, ``runner``) behind ``hfexact backfill plan`` / ``hfexact backfill run``."""

from hfexact.backfill.plan import CallCosts, Limits, Plan, make_plan

__all__ = ["CallCosts", "Limits", "Plan", "make_plan"]
