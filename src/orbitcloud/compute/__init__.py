"""Orbital compute: jobs from captures and requests, placement policies, the engine run in orbit
and on the ground (``run_workload``)."""
