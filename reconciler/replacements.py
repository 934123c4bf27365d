"""Objects that need replacement, located at the spec line that changed them (pure; for the CLI and the daemon)."""

from __future__ import annotations

from reconciler.engine import Result
from reconciler.errors import SpecError
from reconciler.labels import ANNOTATION_SOURCE, LABEL_COMPONENT_REF
from reconciler.render.origins import claim_location, spec_location
from reconciler.spec.document import Spec
from reconciler.spec.models import NotebookSpec


def located_replacements(spec: Spec, results: list[Result]) -> list[SpecError]:
    """One ``file:line:col`` error per refused field change of every object that needs replacement."""
    found: dict[str, SpecError] = {}
    for result in results:
        if result.plan is None:
            continue
        environment, cluster = result.target.environment, result.target.cluster
        view = spec.environments.get(environment)
        for entry in result.plan.replacements:
            metadata = (entry.desired or {}).get("metadata") or {}
            ref = str((metadata.get("labels") or {}).get(LABEL_COMPONENT_REF, "")).replace(".", "/", 1)
            item = view.components.get(ref) if view is not None else None
            claim = entry.key.kind == "PersistentVolumeClaim"
            hint = (f"revert the change in Git, or delete and re-create it with `platformctl apply --env {environment} "
                    "--replace`" + (" (the claim's data is lost)" if claim else ""))
            for change in entry.immutable:
                message = f"{entry.key} on cluster {cluster} needs replacement: {change}"
                if item is None:
                    source = str((metadata.get("annotations") or {}).get(ANNOTATION_SOURCE, "?"))
                    error = SpecError(source, 1, 1, message, hint)
                elif claim and isinstance(item.spec, NotebookSpec):
                    volumes = [v.name for v in item.spec.volumes]
                    error = item.error(claim_location(item.name, volumes, entry.key.name, change.field), message, hint)
                else:
                    error = item.error(spec_location(entry.key.kind, change.field), message, hint)
                found.setdefault(str(error), error)
    return list(found.values())
