"""The ownership rule (pure): what platformctl may delete, what --adopt rebuilds, which kinds it renders."""

from __future__ import annotations

from typing import Any

from reconciler.inventory import inventory_of, same_contents
from reconciler.kinds import RENDERED_KINDS
from reconciler.labels import FIELD_MANAGER
from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import applied_by_platformctl, owned_live, unaccounted
from reconciler.tenancy import Scope
from reconciler.render import render_environment
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from tests.spec.conftest import REPO


def live(api: str, kind: str, name: str, namespace: str | None = "ml", *managers: tuple[str, str]) -> Manifest:
    metadata: dict[str, Any] = {"name": name, "managedFields": [{"manager": m, "operation": op} for m, op in managers]}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": metadata}


OURS = (FIELD_MANAGER, "Apply")


def test_every_kind_the_bundled_platform_renders_is_a_rendered_kind() -> None:
    spec = load(DirectorySource(REPO))
    emitted = {(r.manifest["apiVersion"], r.manifest["kind"])
               for env in spec.environments for rendered in render_environment(spec, env, "r1").values()
               for r in rendered}
    # The bundled platform runs Trainer v2 and declares a namespaced runtime; the training operator v1
    # jobs and the cluster-scoped runtime are rendered in tests/render/test_training.py, declared serving
    # runtimes in tests/render/test_serving_breadth.py.
    elsewhere = {("kubeflow.org/v1", "PyTorchJob"), ("kubeflow.org/v1", "TFJob"),
                 ("trainer.kubeflow.org/v1alpha1", "ClusterTrainingRuntime"),
                 ("serving.kserve.io/v1alpha1", "ServingRuntime"), ("serving.kserve.io/v1alpha1", "ClusterServingRuntime")}
    assert emitted == set(RENDERED_KINDS) - elsewhere


def test_only_a_server_side_apply_by_platformctl_counts() -> None:
    assert applied_by_platformctl(live("kubeflow.org/v1", "Notebook", "a", "ml", OURS))
    assert not applied_by_platformctl(live("kubeflow.org/v1", "Notebook", "a", "ml", (FIELD_MANAGER, "Update")))
    assert not applied_by_platformctl(live("kubeflow.org/v1", "Notebook", "a", "ml", ("kubectl", "Apply")))
    assert not applied_by_platformctl({"metadata": {}})


def test_adoption_takes_only_objects_that_pass_the_ownership_rule() -> None:
    objects = [
        live("kubeflow.org/v1", "Notebook", "ours", "ml", OURS),
        live("v1", "PersistentVolumeClaim", "ours-data", "ml", OURS, ("kube-controller-manager", "Update")),
        live("v1", "Namespace", "ml", None, OURS),
        live("kubeflow.org/v1", "Notebook", "users", "ml", ("kubectl-client-side-apply", "Update")),
        live("v1", "ConfigMap", "platformctl-inventory-dev", "ml", OURS),  # not a rendered kind
        live("kubeflow.org/v1", "Profile", "ml", None, OURS),  # cluster-scoped, outside policy
        live("kubeflow.org/v1", "Notebook", "elsewhere", "other", OURS),
        live("v1", "Namespace", "other", None, OURS),
    ]
    by_key = {ObjectKey.of(o): o for o in objects}
    assert [str(k) for k in owned_live(by_key, Scope("ml"))] == [
        "Namespace/ml", "PersistentVolumeClaim/ml/ours-data", "Notebook/ml/ours"]
    desired = [ObjectKey.of(objects[0]), ObjectKey.of(objects[2])]
    assert [str(k) for k in unaccounted(by_key, desired, Scope("ml"))] == ["PersistentVolumeClaim/ml/ours-data"]


def test_kept_entries_are_marked_unless_git_renders_them_again() -> None:
    pvc = ObjectKey("", "PersistentVolumeClaim", "ml", "data")
    nb = {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "nb", "namespace": "ml"}}
    inventory = inventory_of("dev", "r1", [nb], kept=[(pvc, "v1")])
    assert inventory.keys() == {pvc, ObjectKey.of(nb)} and inventory.kept == (pvc,)
    again = inventory_of("dev", "r2", [nb], kept=[(ObjectKey.of(nb), "kubeflow.org/v1")])
    assert again.kept == ()
    assert not same_contents(inventory, inventory_of("dev", "r1", [nb], [(pvc, "v1")]))  # only the mark differs


def test_pruning_is_held_only_when_a_fresh_inventory_would_forget_something() -> None:
    from reconciler.inventory import held_reason

    orphans = [ObjectKey("kubeflow.org", "Notebook", "ml", f"nb-{i}") for i in range(5)]
    assert held_reason("dev", "", []) == ""
    missing = held_reason("dev", "", orphans)
    assert "inventory of environment 'dev' is missing" in missing and "5 object(s)" in missing
    assert "Notebook/ml/nb-0, Notebook/ml/nb-1, Notebook/ml/nb-2 and 2 more" in missing
    assert missing.endswith("until `platformctl apply --env dev --adopt` rebuilds it from the objects' managedFields")
    damaged = held_reason("dev", "the inventory in ConfigMap ml/x is damaged (ValueError: x)", [])
    assert damaged.startswith("the inventory in ConfigMap ml/x is damaged") and "--adopt" in damaged


def test_adopt_rebuilds_the_inventory_with_each_kinds_api_version() -> None:
    from reconciler.inventory import adopted

    objects = [live("kubeflow.org/v1", "Notebook", "ours", "ml", OURS),
               live("kubeflow.org/v1", "Notebook", "users", "ml", ("kubectl", "Apply"))]
    inventory = adopted("dev", "r9", {ObjectKey.of(o): o for o in objects}, Scope("ml", frozenset({"Namespace"})))
    assert [str(k) for k in inventory.objects] == ["Notebook/ml/ours"]
    assert inventory.api_versions == {"kubeflow.org/Notebook": "kubeflow.org/v1"} and inventory.revision == "r9"
