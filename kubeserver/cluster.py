"""What is served and the controllers a bare apiserver relies on.

Holds the registry of served types (built-ins plus established CRDs) and the store, and
does synchronously what kube's controllers do in the background: establishing CRDs,
cleaning up a deleted CRD's objects, and emptying a deleted namespace.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timezone
from typing import Any

from kubeserver import resources
from kubeserver.resources import ResourceType
from kubeserver.store import Store, TypeKey

CRD_KEY: TypeKey = ("apiextensions.k8s.io", "customresourcedefinitions")
NS_KEY: TypeKey = ("", "namespaces")
PVC_KEY: TypeKey = ("", "persistentvolumeclaims")
PVC_PROTECTION = "kubernetes.io/pvc-protection"
CRD_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def now() -> str:
    """RFC 3339 UTC time at second precision, as kube writes metav1.Time."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def marked_for_deletion(key: TypeKey, obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a DELETE that finalizers hold leaves it: deletionTimestamp set, grace
    period 0 and generation bumped (namespaces: phase Terminating, no grace period)."""
    meta = {**obj["metadata"], "deletionTimestamp": now()}
    if key == NS_KEY:
        return {**obj, "metadata": meta, "status": {**(obj.get("status") or {}), "phase": "Terminating"}}
    meta["deletionGracePeriodSeconds"] = 0
    if meta.get("generation"):
        meta["generation"] += 1
    return {**obj, "metadata": meta}


class Cluster:
    """Registry of served types and the in-memory state of one simulated cluster."""

    def __init__(self, seed: int = 0, history: int = 10_000) -> None:
        self.store = Store(history)
        self.rng = random.Random(seed)
        self.types: dict[TypeKey, ResourceType] = {t.key: t for t in resources.builtin_types()}
        with self.store.lock:
            for name in INITIAL_NAMESPACES:
                self.store.put(NS_KEY, self.new_namespace(name), "ADDED")

    # --- lookup -------------------------------------------------------------------
    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at /apis/group/version/plural, if any."""
        rtype = self.types.get((group, plural))
        if rtype is None or version not in rtype.versions:
            return None
        return rtype

    def builtin_group_version(self, group: str, version: str) -> bool:
        """Whether kube-apiserver itself serves /apis/group/version (or /api/v1): its unknown
        paths are 404 Statuses, those of other groups (CRDs' included) a plain-text 404."""
        return group == "" or (group, version) in resources.builtin_group_versions()

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type of an apiVersion/kind pair."""
        group, _, version = api_version.rpartition("/")
        for rtype in self.types.values():
            if rtype.group == group and rtype.kind == kind and version in rtype.versions:
                return rtype
        return None

    def generate_name(self, prefix: str) -> str:
        """`generateName` + 5 random characters (seeded, so runs are reproducible)."""
        return prefix[:58] + "".join(self.rng.choice(_NAME_CHARS) for _ in range(5))

    def new_uid(self) -> str:
        """A UUID drawn from the seeded generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- namespaces ---------------------------------------------------------------
    def new_namespace(self, name: str) -> dict[str, Any]:
        """A Namespace object as the apiserver creates it."""
        return {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": self.new_uid(),
                "creationTimestamp": now(),
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def namespace_phase(self, name: str) -> str | None:
        """"Active", "Terminating" or None when the namespace does not exist."""
        record = self.store.get(NS_KEY, "", name)
        if record is None:
            return None
        return str((record.obj.get("status") or {}).get("phase", "Active"))

    def finish_namespace(self, name: str) -> None:
        """Namespace controller: delete the content of a terminating namespace (lock held)."""
        for key in list(self.store.namespaces_in_use(name)):
            for record in self.store.items(key, name):
                self.delete_object(key, record.obj)
        remaining = any(True for _ in self.store.namespaces_in_use(name))
        ns_record = self.store.get(NS_KEY, "", name)
        if ns_record is None or remaining:
            return
        ns = ns_record.obj
        if not ns["metadata"].get("finalizers"):
            self.store.remove(NS_KEY, ns)

    def delete_object(self, key: TypeKey, obj: dict[str, Any]) -> dict[str, Any]:
        """Delete, or mark for deletion when finalizers remain; returns the result (lock held).

        Namespaces and CRDs are marked, emptied and then removed, as their controllers do.
        """
        meta = obj["metadata"]
        if key == NS_KEY or meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return obj
            result = self.store.put(key, marked_for_deletion(key, obj), "MODIFIED").obj
            if key == NS_KEY:
                self.finish_namespace(meta["name"])
            elif key == CRD_KEY and CRD_FINALIZER in meta["finalizers"]:
                self.unregister_crd(result)
                self._finalized(key, result, CRD_FINALIZER)
            elif key == PVC_KEY and PVC_PROTECTION in meta["finalizers"]:
                # pvc-protection controller: no pod uses the claim, so its finalizer goes.
                self._finalized(key, result, PVC_PROTECTION)
            return result
        gone = self.store.remove(key, obj).obj
        self.after_removal(key, gone)
        return gone

    def _finalized(self, key: TypeKey, obj: dict[str, Any], finalizer: str) -> None:
        """A controller's finalizer removed from an object being deleted (lock held)."""
        rest = [f for f in obj["metadata"]["finalizers"] if f != finalizer]
        cleaned = {**obj, "metadata": {**obj["metadata"], "finalizers": rest}}
        if rest:
            self.store.put(key, cleaned, "MODIFIED")
        else:
            gone = self.store.remove(key, cleaned).obj
            self.after_removal(key, gone)

    def after_removal(self, key: TypeKey, obj: dict[str, Any]) -> None:
        """Follow-ups of a removal: finishing a namespace, unregistering a CRD (lock held)."""
        ns = obj["metadata"].get("namespace", "")
        if ns and self.namespace_phase(ns) == "Terminating":
            if not any(True for _ in self.store.namespaces_in_use(ns)):
                self.finish_namespace(ns)
        if key == CRD_KEY:
            self.unregister_crd(obj)

    # --- CRDs ---------------------------------------------------------------------
    def establish(self, crd: dict[str, Any]) -> dict[str, Any]:
        """CRD with the status the apiextensions controllers would write."""
        spec = crd["spec"]
        names = dict(spec["names"])
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")
        storage = [v["name"] for v in spec.get("versions", []) if v.get("storage")]
        old = crd.get("status") or {}
        stored = list(old.get("storedVersions") or [])
        for v in storage:
            if v not in stored:
                stored.append(v)
        t = now()
        crd["spec"] = {**spec, "names": names}
        crd["status"] = {
            "conditions": old.get("conditions") or [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": t,
                 "reason": "NoConflicts", "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": t,
                 "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
            ],
            "acceptedNames": {k: v for k, v in names.items()},
            "storedVersions": stored,
        }
        return crd

    def register_crd(self, crd: dict[str, Any]) -> None:
        """Serve (or re-serve, after an update) the resource a CRD defines."""
        rtype = resources.crd_type(crd)
        old = self.types.get(rtype.key)
        rtype.watch_start = self.store.rv
        if old is not None and old.custom and old.crd_uid == rtype.crd_uid:
            rtype.watch_start = old.watch_start
            for name, version in rtype.versions.items():
                prev = old.versions.get(name)
                if prev is not None and prev.schema == version.schema:
                    version._merge, version._validator = prev._merge, prev._validator
                    version._defaulter = prev._defaulter
        self.types[rtype.key] = rtype

    def unregister_crd(self, crd: dict[str, Any]) -> None:
        """Stop serving a CRD's resource and drop its objects (lock held)."""
        spec = crd.get("spec") or {}
        key = (spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
        rtype = self.types.get(key)
        if rtype is not None and rtype.custom:
            self.store.drop_type(key)
            del self.types[key]
