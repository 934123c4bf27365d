"""A Kubernetes API server as a Cluster: ``cluster`` (KubeCluster), ``transport`` (requests: rate limit,
retries, timeouts, fence, counts), ``stream`` (a response left on the wire), ``throttle`` (the token
bucket), ``errors`` (HTTP answers as the ClusterError family), ``watch`` (WATCH events, pure),
``options`` (KubeOptions).

Only ``cluster`` and ``transport`` import the ``kubernetes`` client, so this file imports nothing:
the Lease store and the drift watch use ``errors`` and ``watch`` without loading the client.
"""
