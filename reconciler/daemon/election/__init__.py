"""Leader election, so two replicas never apply at once: the algorithm, the stores it runs on, and
the push relay that rides on them.

``record`` (the lease record, the ``LeaseStore`` protocol; pure), ``elector`` (``LeaderElector``,
client-go's algorithm over any store; ``AlwaysLeader`` without election), ``kubestore`` (a
``coordination.k8s.io/v1`` Lease, and its push relay: a ConfigMap beside it), ``filestore`` (a file
in the state directory), ``relay`` (the push relay protocol, its file form, the leader's watch).
"""

from __future__ import annotations

from reconciler.daemon.election.elector import AlwaysLeader, LeaderElector, Leadership
from reconciler.daemon.election.filestore import FileLeaseStore
from reconciler.daemon.election.record import LeaseConflict, LeaseRecord, LeaseStore
from reconciler.daemon.election.relay import FilePushRelay, PushRelay, RelayWatch

__all__ = [
    "AlwaysLeader", "FileLeaseStore", "FilePushRelay", "LeaderElector", "LeaseConflict", "LeaseRecord",
    "LeaseStore", "Leadership", "PushRelay", "RelayWatch",
]
