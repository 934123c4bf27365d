"""The write pipeline shared by create, update, patch and apply.

normalize -> (status subresource rules) -> decode/prune -> defaults -> validate ->
ownership -> no-op check -> persist (or, for dryRun=All, return without storing).
Callers hold the store lock for the whole read-modify-write.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubeserver import builtins, managed
from kubeserver.cluster import CRD_KEY, NS_KEY, Cluster, now
from kubeserver.errors import (
    ApiError, already_exists, bad_request, cause, conflict, forbidden, invalid, not_found,
)
from kubeserver.meta import object_meta_errors
from kubeserver.resources import ResourceType, Version
from kubeserver.store import Record

_SYSTEM = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
           "generation", "selfLink")

Ownership = Callable[[dict[str, Any] | None, dict[str, Any]], managed.Managers]


@dataclass(slots=True)
class Ctx:
    """One write request's target and options."""

    cluster: Cluster
    rtype: ResourceType
    version: str
    namespace: str
    subresource: str = ""
    manager: str = ""
    dry_run: bool = False
    validation: str = "Warn"  # Strict | Warn | Ignore
    warnings: list[str] = field(default_factory=list)

    @property
    def spec(self) -> Version:
        return self.rtype.versions[self.version]

    @property
    def api_version(self) -> str:
        return self.rtype.api_version(self.version)

    @property
    def scope(self) -> managed.Scope:
        """Which fields this request may own (status subresource splits the object)."""
        if not self.spec.status:
            return managed.Scope()
        if self.subresource == "status":
            return managed.Scope(only=("f:status",))
        return managed.Scope(exclude=("f:status",))


def normalize(ctx: Ctx, body: Any, *, owned: bool = False) -> dict[str, Any]:
    """The request object with apiVersion/kind checked and metadata a dict.

    A deep copy unless `owned` (a body freshly decoded for this request, which nothing
    else references; the pipeline mutates what it is given).
    """
    if not isinstance(body, dict):
        raise bad_request(f"Object 'Kind' is missing in '{json.dumps(body)[:200]}'")
    obj = body if owned else copy.deepcopy(body)
    api, kind = ctx.api_version, ctx.rtype.kind
    if obj.get("apiVersion") not in (None, "", api):
        raise bad_request(
            f"the API version in the data ({obj['apiVersion']}) does not match the expected "
            f"API version ({api})"
        )
    if obj.get("kind") not in (None, "", kind):
        raise bad_request(
            f"the kind in the data ({obj['kind']}) does not match the expected kind ({kind})"
        )
    if ctx.rtype.custom and not obj.get("kind"):
        raise bad_request(f"Object 'Kind' is missing in '{json.dumps(body)[:200]}'")
    meta = obj.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise bad_request("json: cannot unmarshal into Go struct field Object.metadata of type v1.ObjectMeta")
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    out = {"apiVersion": api, "kind": kind, "metadata": meta, **rest}
    if ctx.rtype.namespaced:
        if meta.get("namespace") and meta["namespace"] != ctx.namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        meta["namespace"] = ctx.namespace
    else:
        meta.pop("namespace", None)
    return out


# ObjectMeta collections are `omitempty`: empty ones do not survive decoding, on any kind.
_OMITTED_WHEN_EMPTY = ("labels", "annotations", "finalizers", "ownerReferences")


def _decode(ctx: Ctx, obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    for key in _OMITTED_WHEN_EMPTY:
        if key in meta and not meta[key]:
            del meta[key]
    if ctx.rtype.custom:
        from kubeserver.validation import decode_custom

        obj, warnings = decode_custom(ctx.spec, obj, ctx.validation)
        ctx.warnings += warnings
        return obj
    unknown = builtins.unknown_top_level(ctx.rtype, obj)
    if unknown and ctx.validation == "Strict":
        raise bad_request(builtins.undecodable(ctx.rtype.kind, ctx.version, "strict decoding error: " + ", ".join(
            f"unknown field {json.dumps(u)}" for u in unknown)))
    if ctx.validation == "Warn":
        ctx.warnings += [f"unknown field {json.dumps(u)}" for u in unknown]
    builtins.decode(ctx.rtype, obj)
    return {k: v for k, v in obj.items() if k not in unknown}


def _validate(ctx: Ctx, obj: dict[str, Any], live: dict[str, Any] | None) -> None:
    rtype = ctx.rtype
    errs = object_meta_errors(obj["metadata"], namespace_kind=rtype.key == NS_KEY)
    if rtype.custom:
        from kubeserver.validation import schema_causes

        errs += schema_causes(ctx.spec, obj)
    else:
        errs += builtins.causes(rtype, obj, live)
    if live is not None:
        old = set(live["metadata"].get("finalizers") or [])
        new = [f for f in obj["metadata"].get("finalizers") or [] if f not in old]
        if live["metadata"].get("deletionTimestamp") and new:
            errs.append(cause("metadata.finalizers", "FieldValueForbidden",
                              "Forbidden: no new finalizers can be added if the object is being "
                              f"deleted, found new finalizers {_go_strings(new)}"))
    if errs:
        name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "")
        raise invalid(rtype.kind, rtype.group, name, errs)


def _go_strings(items: list[str]) -> str:
    return "[]string{" + ", ".join(json.dumps(i) for i in items) + "}"


def _content(obj: dict[str, Any], exclude_status: bool) -> dict[str, Any]:
    skip = {"metadata", "status"} if exclude_status else {"metadata"}
    return {k: v for k, v in obj.items() if k not in skip}


def commit(ctx: Ctx, live: Record | None, new: dict[str, Any], owners: Ownership) -> tuple[dict[str, Any], int]:
    """Finish and store a create (live is None) or update; returns (object, HTTP code)."""
    cluster, rtype = ctx.cluster, ctx.rtype
    store = cluster.store
    meta = new["metadata"]
    if live is None:
        for key in _SYSTEM + ("resourceVersion",):
            meta.pop(key, None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = cluster.generate_name(meta["generateName"])
        if rtype.namespaced:
            phase = cluster.namespace_phase(ctx.namespace)
            if phase is None:
                raise not_found("namespaces", "", ctx.namespace)
            if phase == "Terminating":
                raise forbidden(rtype.plural, rtype.group, meta.get("name", ""),
                                f"unable to create new content in namespace {ctx.namespace} "
                                "because it is being terminated",
                                [cause("metadata.namespace", "NamespaceTerminating",
                                       f"namespace {ctx.namespace} is being terminated")])
        if ctx.spec.status and rtype.custom:
            new.pop("status", None)
    else:
        old = live.obj
        lmeta = old["metadata"]
        rv = meta.get("resourceVersion")
        if rv and rv != lmeta["resourceVersion"]:
            raise conflict(rtype.plural, rtype.group, lmeta["name"])
        for key in _SYSTEM + ("name", "namespace"):
            if key in lmeta:
                meta[key] = lmeta[key]
            else:
                meta.pop(key, None)
        if ctx.spec.status:
            if ctx.subresource == "status":
                status = new.get("status")
                new = {k: v for k, v in old.items() if k != "status"}
                new["metadata"] = {**lmeta, "managedFields": meta.get("managedFields")}
                if status is not None:
                    new["status"] = status
                meta = new["metadata"]
            elif "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
    new = _decode(ctx, new)
    meta = new["metadata"]
    builtins.default(rtype, new, creating=live is None)
    if rtype.key == CRD_KEY:
        cluster.establish(new)
    _validate(ctx, new, live.obj if live else None)
    if live is None and store.get(rtype.key, ctx.namespace if rtype.namespaced else "",
                                  meta["name"]) is not None:
        raise already_exists(rtype.plural, rtype.group, meta["name"])
    managers = owners(_without_rv(live.obj) if live else None, new)
    if not rtype.custom:
        builtins.prepare(rtype, new, live.obj if live else None)
    rendered = managed.render(managers)
    meta.pop("managedFields", None)
    if rendered:
        meta["managedFields"] = rendered
    if live is None:
        meta["uid"] = cluster.new_uid()
        meta["creationTimestamp"] = now()
        if rtype.has_generation:
            meta["generation"] = 1
    else:
        if rtype.has_generation:
            if rtype.custom:
                exclude = ctx.spec.status
                changed = _content(new, exclude) != _content(live.obj, exclude)
            else:
                changed = new.get("spec") != live.obj.get("spec")
            meta["generation"] = live.obj["metadata"].get("generation", 1) + (1 if changed else 0)
        if _without_rv(new) == _without_rv(live.obj):
            return live.obj, 200
    if ctx.dry_run:
        if live is not None:
            meta["resourceVersion"] = live.obj["metadata"]["resourceVersion"]
        return new, 201 if live is None else 200
    if live is None:
        created = store.put(rtype.key, new, "ADDED").obj
        if rtype.key == CRD_KEY:
            cluster.register_crd(created)
        return created, 201
    if meta.get("deletionTimestamp") and not meta.get("finalizers") and rtype.key != NS_KEY:
        gone = store.remove(rtype.key, new).obj
        cluster.after_removal(rtype.key, gone)
        return gone, 200
    result = store.put(rtype.key, new, "MODIFIED").obj
    if rtype.key == CRD_KEY and not meta.get("deletionTimestamp"):
        cluster.register_crd(result)
    if rtype.key == NS_KEY and meta.get("deletionTimestamp"):
        cluster.finish_namespace(meta["name"])
    return result, 200


def _without_rv(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def update_ownership(ctx: Ctx) -> Ownership:
    """Ownership for a non-apply write by `ctx.manager`."""

    def owners(live: dict[str, Any] | None, new: dict[str, Any]) -> managed.Managers:
        base = managed.parse(live["metadata"].get("managedFields")) if live else {}
        given = new["metadata"].get("managedFields")
        if given is not None and live is not None and given != live["metadata"].get("managedFields"):
            base = managed.parse(given)
        elif given is not None and live is None:
            base = managed.parse(given)
        if live is not None and not base:
            # skipNonAppliedManager: an object without managedFields (none were ever set, or a
            # client stripped them) gains none from updates; only an apply starts tracking.
            return {}
        return managed.update(
            live, new, base, ctx.manager, ctx.api_version, ctx.subresource,
            ctx.spec.merge_node(ctx.rtype.plural), ctx.scope, now(),
        )

    return owners


def fixed_ownership(managers: managed.Managers) -> Ownership:
    """Ownership already computed (by an apply)."""
    return lambda live, new: managers


def not_found_for(ctx: Ctx, name: str) -> ApiError:
    """404 for the target object."""
    return not_found(ctx.rtype.plural, ctx.rtype.group, name)
