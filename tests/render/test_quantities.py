"""Rendered quantities: built-in objects carry the form the API server stores, custom resources what was written."""

from __future__ import annotations

from reconciler.render import render_cluster
from reconciler.render.verify import verify
from reconciler.spec.load import load
from tests.render.test_roundtrip import minimal_platform

NOTEBOOK = b"""\
apiVersion: platformctl.dev/v1alpha1
kind: Notebook
metadata: {name: lab}
spec:
  image: jupyter:1
  resources: {cpu: "1500m", memory: 8192Mi}
  workspace: {size: 20480Mi}
  volumes:
    - {name: scratch, mountPath: /scratch, size: 0.5Ti}
"""


def test_claims_are_rendered_canonical_and_the_notebook_as_written() -> None:
    spec = load(minimal_platform(NOTEBOOK, "ml"))
    assert verify(spec) == []  # any valid spelling is accepted
    objects = {r.manifest["metadata"]["name"]: r.manifest for r in render_cluster(spec, "rt", "local", "r1")}

    # A kube-apiserver stores 20480Mi as 20Gi and 0.5Ti as 512Gi: apply what it will return.
    assert objects["lab-workspace"]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert objects["lab-scratch"]["spec"]["resources"]["requests"]["storage"] == "512Gi"
    # A Notebook is a custom resource, stored as written.
    [container] = objects["lab"]["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"] == {"cpu": "1500m", "memory": "8192Mi"}
