"""kube-controller-manager with the controllers a test cluster needs to behave like a real one.

Namespace deletion (content removed, then the namespace), garbage collection by
ownerReferences, and the PVC-protection finalizer's removal run in kube-controller-manager,
not in the apiserver. Nodes, pods and volumes are not simulated, so only those three run.
"""

from __future__ import annotations

from pathlib import Path

from tests.realkube.apiserver import ApiServer
from tests.realkube.binaries import binary
from tests.realkube.process import Child

CONTROLLERS = ("namespace-controller", "garbage-collector-controller", "persistentvolumeclaim-protection-controller")


def start_controllers(apiserver: ApiServer, directory: Path) -> Child:
    """Start kube-controller-manager against `apiserver` (as the admin, no leader election)."""
    config = apiserver.kubeconfig(directory / "controller-manager.kubeconfig")
    return Child("kube-controller-manager", [
        binary("kube-controller-manager"), f"--kubeconfig={config}", "--leader-elect=false",
        "--secure-port=0", f"--controllers={','.join(CONTROLLERS)}", "--concurrent-gc-syncs=5",
        "--use-service-account-credentials=false", "--v=1",
    ], directory / "kube-controller-manager.log")
