"""Ownership labels and annotations on rendered objects (names in ``reconciler.labels``), and the spec hash."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from reconciler.labels import (
    ANNOTATION_HASH,
    ANNOTATION_REVISION,
    ANNOTATION_SOURCE,
    LABEL_COMPONENT,
    LABEL_COMPONENT_REF,
    LABEL_ENVIRONMENT,
    LABEL_INSTANCE,
    LABEL_MANAGED_BY,
    LABEL_PART_OF,
    LABEL_PLATFORM,
    LABEL_VERSION,
    MANAGED_BY,
    VOLATILE_ANNOTATIONS,
)
from reconciler.objects import Manifest
from reconciler.quantity import canonical_quantities, server_canonicalises
from reconciler.render.context import RenderContext

_LABEL_VALUE = re.compile(r"[^A-Za-z0-9._-]")


def label_value(text: str) -> str:
    """A valid label value: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends."""
    cleaned = _LABEL_VALUE.sub("-", text)[:63].strip("._-")
    return cleaned


def ownership_labels(ctx: RenderContext, kind_dir: str, name: str, version: str | None,
                     own: dict[str, str] | None = None) -> dict[str, str]:
    """The recommended Kubernetes labels plus our platform/environment/component keys.

    ``own`` are the component's own ``metadata.labels``; ours win on a clash.
    """
    labels = {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PART_OF: label_value(ctx.platform),
        LABEL_COMPONENT: kind_dir,
        LABEL_INSTANCE: label_value(name),
        LABEL_PLATFORM: label_value(ctx.platform),
        LABEL_ENVIRONMENT: label_value(ctx.environment),
        LABEL_COMPONENT_REF: label_value(f"{kind_dir}.{name}"),
    }
    if version:
        labels[LABEL_VERSION] = label_value(version)
    return {**ctx.extra_labels, **(own or {}), **labels}


def finish(manifest: Manifest, ctx: RenderContext, source_path: str) -> Manifest:
    """Add source annotations and the spec hash (computed over everything but volatile annotations).

    Quantities of built-in kinds (a PVC's storage request) are written in the form the API server
    stores them in (``1024Mi`` -> ``1Gi``), so what is applied is what the cluster returns.
    """
    if server_canonicalises(str(manifest.get("apiVersion", ""))):
        manifest = canonical_quantities(manifest)
    metadata = manifest["metadata"]
    annotations = {**ctx.extra_annotations, **metadata.get("annotations", {}), ANNOTATION_SOURCE: source_path}
    metadata["annotations"] = annotations
    annotations[ANNOTATION_HASH] = spec_hash(manifest)
    annotations[ANNOTATION_REVISION] = ctx.revision
    return manifest


def spec_hash(manifest: Manifest) -> str:
    """A stable digest of what an object says, ignoring where it came from."""
    metadata = dict(manifest.get("metadata", {}))
    metadata["annotations"] = {
        k: v for k, v in metadata.get("annotations", {}).items() if k not in VOLATILE_ANNOTATIONS
    }
    body: dict[str, Any] = {**manifest, "metadata": metadata}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]
