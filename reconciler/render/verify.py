"""Render every environment and cluster and check each object against the upstream schemas.

Part of ``platformctl validate``: a change that would render an object the cluster rejects
fails before merge, located at the component's file and line.
"""

from __future__ import annotations

from reconciler.collection import collection_paused
from reconciler.conformance import validate_object
from reconciler.conformance.violations import go_value
from reconciler.errors import SpecError
from reconciler.objects import ObjectKey
from reconciler.render import Rendered, render_cluster
from reconciler.render.origins import spec_location
from reconciler.spec.document import EnvironmentView, Spec

VERIFY_REVISION = "validate"


def _own_metadata_key(rendered: Rendered, field: str, message: str) -> tuple[str, ...] | None:
    """The component's own label or annotation a metadata violation names, located at its key."""
    assert rendered.component is not None
    metadata = rendered.component.metadata
    for name, own in (("labels", metadata.labels), ("annotations", metadata.annotations)):
        if field.startswith(f"metadata.{name}"):
            for key, value in own.items():
                # the message quotes the bad key or value as the API server does (escapes included)
                if go_value(key) in message or go_value(value) in message or field.endswith(f"[{key}]"):
                    return ("metadata", name, key)
    return None


def _collisions(objects: list[Rendered]) -> list[SpecError]:
    """Two components rendering the same object name would overwrite each other: name both."""
    owners: dict[ObjectKey, Rendered] = {}
    found = []
    for rendered in objects:
        key = ObjectKey.of(rendered.manifest)
        first = owners.setdefault(key, rendered)
        if first is rendered or rendered.component is None:
            continue
        other = first.component.ref if first.component else "the environment"
        found.append(rendered.component.source.error(
            ("metadata", "name"), f"{rendered.component.ref} renders {key}, which {other} also renders",
            "rename the component or the volume so the generated names differ"))
    return found


def verify(spec: Spec) -> list[SpecError]:
    """Conformance errors of every rendered object, each located in the spec file that caused it."""
    with collection_paused():  # linear in the platform's size (see reconciler.collection)
        return _verify(spec)


def _verify(spec: Spec) -> list[SpecError]:
    found: dict[tuple[str, int, int, str], SpecError] = {}
    for env_name, view in spec.environments.items():
        for cluster in view.model.spec.clusters:
            _verify_cluster(spec, env_name, view, cluster.name, found)
    return list(found.values())


def _verify_cluster(spec: Spec, env_name: str, view: EnvironmentView, cluster: str,
                    found: dict[tuple[str, int, int, str], SpecError]) -> None:
    """Check one cluster's objects into ``found``. A call of its own, so that one cluster's rendered objects
    (30 MiB at 10,000) are gone before the next cluster is rendered, not still bound to a loop variable."""
    objects = render_cluster(spec, env_name, cluster, VERIFY_REVISION)
    for error in _collisions(objects):
        found.setdefault((error.path, error.line, error.col, error.message), error)
    for rendered in objects:
        for violation in validate_object(rendered.manifest):
            key = ObjectKey.of(rendered.manifest)
            message = (f"rendered {key.kind} {key.name} would be rejected by the cluster: "
                       f"{violation.field}: {violation.message}")
            hint = f"in environment {env_name}, cluster {cluster}; fix the spec value that produces this field"
            if rendered.component is None:
                error = view.source.error(("spec", "namespace"), message, hint)
            elif violation.field.startswith("metadata.name"):
                error = rendered.component.source.error(("metadata", "name"), message, hint)
            elif (own := _own_metadata_key(rendered, violation.field, violation.message)) is not None:
                error = rendered.component.source.error(own, message, hint)
            else:
                loc = spec_location(key.kind, violation.field)
                error = rendered.component.error(loc, message, hint)
            found.setdefault((error.path, error.line, error.col, error.message), error)
