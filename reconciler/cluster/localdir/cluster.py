"""LocalDirCluster: a directory of YAML files that behaves like a cluster (the embedded default).

Layout::

    <dir>/<namespace or _cluster>/<plural>.<group or core>/<name>.yaml   one object per file
    <dir>/.state.json                                                   {"resourceVersion": N}
    <dir>/.platformctl/inventory-<environment>.json                      inventories

It follows a real API server on what platformctl relies on: uid and creationTimestamp on
create; one global resourceVersion bumped by every real change and never by a no-op apply;
generation (custom resources and CRDs only, as on a server) bumped when anything outside
metadata and status changes; server-side apply for the single manager ``platformctl``
(see ``apply``); names checked like ObjectMeta; namespaced objects need their namespace;
deleting a Namespace deletes its content. It does NOT validate objects against CRD schemas
(run ``platformctl validate`` for that) and knows only KNOWN_KINDS. Files are written to a
temporary name and renamed, so a reader never sees half an object. One process owns a
directory at a time; threads within it are serialized by a lock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from reconciler.cluster.answers import AnswerObserver
from reconciler.cluster.base import KindRef
from reconciler.cluster.fence import WriteFence
from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory, inventory_name
from reconciler.cluster.kinds import known_kind
from reconciler.cluster.localdir.apply import (
    applied_content, from_fields_v1, merge_applied, owned_paths, to_fields_v1,
)
from reconciler.cluster.selectors import parse_selector
from reconciler.errors import Invalid, NotFound
from reconciler.inventory import Inventory
from reconciler.labels import FIELD_MANAGER
from reconciler.objects import Manifest, ObjectKey

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

CLUSTER_SCOPE_DIR = "_cluster"
_NAMESPACE = KindRef("v1", "Namespace", "namespaces", False)
# Kinds whose CRD has no status subresource: status is written through the object itself.
_STATUS_IN_MAIN = frozenset({("kubeflow.org", "ScheduledWorkflow"), ("pipelines.kubeflow.org", "Pipeline")})
# Built-in groups whose kinds carry no metadata.generation on a real server.
_NO_GENERATION = frozenset({"", "coordination.k8s.io"})
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class LocalDirCluster:
    """A cluster kept as YAML files under ``directory`` (created on first write)."""

    def __init__(self, name: str, directory: Path, *, now: Callable[[], datetime] | None = None) -> None:
        self.name = name
        self.directory = Path(directory)
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._counts: Counter[str] = Counter()

    # --- kinds and reads ----------------------------------------------------------
    def kind(self, api_version: str, kind: str) -> KindRef:
        """One of KNOWN_KINDS; NotFound for anything else (a directory installs no CRDs)."""
        ref = known_kind(api_version, kind)
        if ref is None:
            raise NotFound(f"cluster {self.name} (a local directory) does not serve {kind} ({api_version}); "
                           "it serves only the kinds platformctl knows", status=404)
        return ref

    def list(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> list[Manifest]:
        """Objects of a kind in a namespace (or all), matching the selector, by namespace then name."""
        selector = parse_selector(label_selector)
        self._count("list")
        with self._lock:
            if kind.namespaced and namespace is None:
                scopes = sorted(p.name for p in _dirs(self.directory) if p.name[0] not in "._")
            else:
                scopes = [_scope(kind, namespace)]
            found = [self._load(path)
                     for scope in scopes
                     for path in sorted(_files(self.directory / scope / _kind_dir(kind)), key=lambda p: p.stem)]
        return [obj for obj in found if selector.matches((obj.get("metadata") or {}).get("labels"))]

    def get(self, kind: KindRef, namespace: str | None, name: str) -> Manifest | None:
        """One object, or None."""
        self._count("get")
        with self._lock:
            path = self._path(kind, namespace, name)
            return self._load(path) if path.is_file() else None

    # --- writes -------------------------------------------------------------------
    def apply_as(self, manifest: Manifest, *, field_manager: str) -> Manifest:
        """Apply (a directory keeps no field managers: the same as ``apply``)."""
        return self.apply(manifest)

    def record_event(self, event: Manifest) -> None:
        """Nothing: a directory keeps no Events."""

    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        """Server-side apply as the only manager (``force`` has nothing to override here)."""
        self._count("patch")
        key = ObjectKey.of(manifest)
        kind = self.kind(str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")))
        namespace = key.namespace if kind.namespaced else ""
        _check_names(kind, key, namespace)
        status_in_main = (kind.group, kind.kind) in _STATUS_IN_MAIN
        applied = applied_content(manifest, status_in_main=status_in_main)
        if not kind.namespaced:
            applied["metadata"].pop("namespace", None)
        with self._lock:
            if kind.namespaced:
                self._require_namespace(namespace, key)
            path = self._path(kind, namespace, key.name)
            live = self._load(path) if path.is_file() else None
            result = self._merge(kind, live, applied, status_in_main)
            if live is not None and result == live:
                return live
            if not dry_run:
                result["metadata"]["resourceVersion"] = self._next_resource_version()
                self._write(path, result)
            return result

    def delete(self, kind: KindRef, namespace: str | None, name: str, *, dry_run: bool = False) -> bool:
        """Remove an object (a Namespace takes its content with it); False when it was not there."""
        self._count("delete")
        with self._lock:
            path = self._path(kind, namespace, name)
            if not path.is_file():
                return False
            if dry_run:
                return True
            path.unlink()
            if kind.kind == "Namespace" and kind.group == "":
                shutil.rmtree(self.directory / name, ignore_errors=True)
            self._next_resource_version()
            return True

    # --- inventory ----------------------------------------------------------------
    def read_inventory(self, environment: str, namespace: str) -> Inventory | None:
        """The stored inventory file, or None."""
        self._count("get")
        path = self._inventory_path(environment)
        with self._lock:
            if not path.is_file():
                return None
            return decode_inventory(path.read_text(encoding="utf-8"), str(path))

    def write_inventory(self, inventory: Inventory, namespace: str) -> None:
        """Store the inventory (its namespace must exist, as for the ConfigMap on a real cluster)."""
        self._count("patch")
        path = self._inventory_path(inventory.environment)
        text = encode_inventory(inventory)
        with self._lock:
            self._require_namespace(namespace, ObjectKey("", "ConfigMap", namespace, path.stem))
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                _atomic_write(path, text)

    def request_counts(self) -> dict[str, int]:
        """Calls so far per verb, counted as a server would count them (get, list, patch, delete)."""
        with self._lock:
            return dict(self._counts)

    @property
    def retries(self) -> int:
        """Always 0: a directory is never retried."""
        return 0

    @property
    def throttled_seconds(self) -> float:
        """Always 0: a directory is not rate limited."""
        return 0.0

    @property
    def rate_limit(self) -> float | None:
        """None: a directory has no rate limiter."""
        return None

    # --- supervision: nothing to supervise in a directory ------------------------------
    def supervise(self, *, fence: WriteFence | None = None, observer: AnswerObserver | None = None,
                  answer_timeout: float | None = None) -> None:
        """A no-op: writes to a directory are refused by the daemon's GuardedCluster, not fenced here."""

    @property
    def probe(self) -> None:
        """None: a directory has nothing to ask."""
        return None

    def close(self) -> None:
        """A no-op: a directory holds no connections."""

    # --- internals ----------------------------------------------------------------
    def _merge(self, kind: KindRef, live: Manifest | None, applied: Manifest, status_in_main: bool) -> Manifest:
        """The object after the apply; equal to ``live`` when nothing changes."""
        current = owned_paths(applied)
        entries = list((live or {}).get("metadata", {}).get("managedFields") or [])
        index = next((i for i, e in enumerate(entries)
                      if e.get("manager") == FIELD_MANAGER and e.get("operation") == "Apply"), None)
        previous = from_fields_v1(entries[index].get("fieldsV1") or {}) if index is not None else frozenset()
        result = merge_applied(live or {}, applied, previous, current)
        metadata = result["metadata"]
        reused = index is not None and previous == current
        ours = dict(entries[index]) if reused and index is not None else {
            "manager": FIELD_MANAGER, "operation": "Apply", "apiVersion": kind.api_version,
            "time": self._timestamp(), "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(current)}
        if index is None:
            entries.append(ours)
        else:
            entries[index] = ours
        metadata["managedFields"] = entries
        has_generation = kind.group not in _NO_GENERATION
        if live is None:
            metadata["uid"] = str(uuid.uuid4())
            metadata["creationTimestamp"] = self._timestamp()
            if has_generation:
                metadata["generation"] = 1
            if kind.kind == "Namespace" and kind.group == "":
                result.setdefault("status", {"phase": "Active"})
            return result
        if has_generation and _spec_part(result, status_in_main) != _spec_part(live, status_in_main):
            metadata["generation"] = int(live["metadata"].get("generation", 1)) + 1
        if reused and (_spec_part(result, True) != _spec_part(live, True) or _meta_part(result) != _meta_part(live)):
            ours["time"] = self._timestamp()  # like a server: the entry's time moves with real changes
        return result

    def _require_namespace(self, namespace: str, key: ObjectKey) -> None:
        if not (self._path(_NAMESPACE, None, namespace)).is_file():
            raise NotFound(f'namespaces "{namespace}" not found', key=key, status=404)

    def _path(self, kind: KindRef, namespace: str | None, name: str) -> Path:
        scope = _scope(kind, namespace)
        if not _DNS_SUBDOMAIN.match(name) or not (scope == CLUSTER_SCOPE_DIR or _DNS_LABEL.match(scope)):
            return self.directory / ".invalid" / "missing"  # never a real object; keeps paths inside
        return self.directory / scope / _kind_dir(kind) / f"{name}.yaml"

    def _inventory_path(self, environment: str) -> Path:
        stem = inventory_name(environment)
        if not _DNS_SUBDOMAIN.match(stem):
            raise Invalid(f"environment name {environment!r} cannot name an inventory",
                          causes=[f"metadata.name: Invalid value: {stem!r}"])
        return self.directory / ".platformctl" / f"inventory-{environment}.json"

    def _next_resource_version(self) -> str:
        state = self.directory / ".state.json"
        current = json.loads(state.read_text(encoding="utf-8")).get("resourceVersion", 0) if state.is_file() else 0
        value = int(current) + 1
        _atomic_write(state, json.dumps({"resourceVersion": value}) + "\n")
        return str(value)

    def _load(self, path: Path) -> Manifest:
        try:
            obj = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except yaml.YAMLError as exc:
            raise Invalid(f"{path}: not readable YAML: {exc}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise Invalid(f"{path}: not a Kubernetes object")
        return obj

    def _write(self, path: Path, obj: Manifest) -> None:
        _atomic_write(path, yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                                      allow_unicode=True))

    def _timestamp(self) -> str:
        return self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _count(self, verb: str) -> None:
        with self._lock:
            self._counts[verb] += 1


def _dirs(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []


def _files(folder: Path) -> list[Path]:
    return list(folder.glob("*.yaml")) if folder.is_dir() else []


def _scope(kind: KindRef, namespace: str | None) -> str:
    return (namespace or "") if kind.namespaced else CLUSTER_SCOPE_DIR


def _kind_dir(kind: KindRef) -> str:
    return f"{kind.plural}.{kind.group or 'core'}"


def _spec_part(obj: Manifest, with_status: bool) -> dict[str, Any]:
    """What a generation covers: everything but metadata (and status, unless it lives in the object)."""
    return {k: v for k, v in obj.items() if k != "metadata" and (with_status or k != "status")}


def _meta_part(obj: Manifest) -> dict[str, Any]:
    return {k: v for k, v in obj["metadata"].items() if k not in ("managedFields", "generation", "resourceVersion")}


def _check_names(kind: KindRef, key: ObjectKey, namespace: str) -> None:
    """ObjectMeta name rules, worded like the API server's 422 causes."""
    causes: list[str] = []
    name_rule = _DNS_LABEL if kind.kind == "Namespace" and kind.group == "" else _DNS_SUBDOMAIN
    if not key.name:
        causes.append("metadata.name: Required value: name is required")
    elif not name_rule.match(key.name) or len(key.name) > (63 if name_rule is _DNS_LABEL else 253):
        causes.append(f"metadata.name: Invalid value: {key.name!r}: must be a lowercase RFC 1123 "
                      f"{'label' if name_rule is _DNS_LABEL else 'subdomain'}")
    if kind.namespaced and not namespace:
        causes.append("metadata.namespace: Required value")
    elif kind.namespaced and (not _DNS_LABEL.match(namespace) or len(namespace) > 63):
        causes.append(f"metadata.namespace: Invalid value: {namespace!r}: must be a lowercase RFC 1123 label")
    if causes:
        raise Invalid(f"{kind.kind} {key.name!r} is invalid: {', '.join(causes)}", key=key, causes=causes)


def _atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
