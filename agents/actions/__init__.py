"""Actions and approvals: declared actions and their parameters, policy (who may request and
who may approve), the pure approval state machine, proposals, votes, and running approved
actions exactly once from the durable job queue.
"""

__all__: list[str] = []
