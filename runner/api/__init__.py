"""The useapi.net client (`useapi`): one httpx client, typed replies (`records`), refusals as
exceptions, and the token kept out of every text (`redact`).

May import `spec`.
"""
