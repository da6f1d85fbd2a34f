"""The review page (`report.html`): what a run's manifest and outputs become for a person.

May import `state`, `api` and `spec`; never `run`.
"""
