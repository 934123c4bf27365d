"""The names platformctl marks its objects with: labels, annotations, field manager (pure, design §5)."""

from __future__ import annotations

DOMAIN = "platformctl.dev"
MANAGED_BY = "platformctl"
FIELD_MANAGER = "platformctl"
"""The server-side apply field manager: what ``managedFields`` records for platformctl's writes."""

LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_VERSION = "app.kubernetes.io/version"
LABEL_PLATFORM = f"{DOMAIN}/platform"
LABEL_ENVIRONMENT = f"{DOMAIN}/environment"
LABEL_COMPONENT_REF = f"{DOMAIN}/component"
ANNOTATION_REVISION = f"{DOMAIN}/source-revision"
ANNOTATION_SOURCE = f"{DOMAIN}/source-path"
ANNOTATION_HASH = f"{DOMAIN}/spec-hash"
ANNOTATION_KEEP = f"{DOMAIN}/prune"  # "disabled" keeps an object even when Git drops it

# Annotations that describe where an object came from, not what it is: excluded from the hash.
VOLATILE_ANNOTATIONS = frozenset({ANNOTATION_REVISION, ANNOTATION_HASH})
