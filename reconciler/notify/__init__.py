"""Notifications: alerts about the daemon's targets sent to operator-configured providers.

``alert`` (what happened, pure), ``model`` (the operator's notifications file, pydantic),
``settings`` (loading it, secrets read from files), ``gate`` (dedupe and rate limit decisions,
pure, clock injected), ``payloads`` (an alert as each provider's HTTP request, pure), ``sender``
(bounded queues and background threads that send, retry with backoff and count).
"""
