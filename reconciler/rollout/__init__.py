"""Progressive delivery of served models: a canary share moved step by step, judged by metrics.

``policy`` (what a served model's spec asks for) and ``state`` (what a rollout has reached, as
stored in the cluster) are plain data; ``machine`` is the pure state machine over them; ``objects``
builds the writes (the share patch, the state ConfigMap, Events); ``prometheus`` and ``analysis``
measure a step; ``driver`` runs rollouts against a cluster, step by step, on a worker's thread.
"""
