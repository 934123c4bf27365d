"""What the daemon shows the outside world: structured logs, Prometheus metrics, HTTP endpoints.

* ``logging``: ``configure_logging()``, identity fields, secret masking (structlog).
* ``metrics``: ``Metrics``, one registry per daemon, ``platformctl_*`` names.
* ``http``: ``Endpoints``: /healthz, /readyz, /metrics, status page, GitHub push webhook.
"""
