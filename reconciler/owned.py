"""The ownership rule: which objects platformctl may delete (pure).

The inventory says what platformctl believes it owns, but whoever can edit the inventory
ConfigMap can write any name into it. So an inventory entry is deleted only when the live
object also passes every check here: a kind platformctl renders, inside the environment's
namespace (or a cluster-scoped kind the environment may own), and a server-side apply by
platformctl's own field manager in its ``managedFields``. The same rule picks what
``apply --adopt`` rebuilds a lost inventory from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.kinds import is_rendered
from reconciler.labels import FIELD_MANAGER
from reconciler.objects import Manifest, ObjectKey
from reconciler.tenancy import Scope

NOT_OURS = "not platformctl's to delete"


def applied_by_platformctl(live: Manifest) -> bool:
    """Whether platformctl's field manager server-side applied the object (not a status or other subresource write)."""
    entries = (live.get("metadata") or {}).get("managedFields") or []
    return any(e.get("manager") == FIELD_MANAGER and e.get("operation") == "Apply" and not e.get("subresource")
               for e in entries)


def not_ours(key: ObjectKey, live: Manifest, scope: Scope) -> str:
    """Why platformctl must never delete this object, even though its inventory names it ('' when it may)."""
    misplaced = outside_scope(key, scope)
    if misplaced:
        return misplaced
    if not applied_by_platformctl(live):
        return (f"{NOT_OURS}: its managedFields show no server-side apply by '{FIELD_MANAGER}', so someone else "
                "created it (was the inventory edited?)")
    return ""


def outside_scope(key: ObjectKey, scope: Scope) -> str:
    """Why an inventory entry names something no environment here could own, judged from its key alone ('' when
    it could): such an entry is never read from the cluster, so this is all there is to report."""
    if not is_rendered(key.group, key.kind):
        return f"{NOT_OURS}: platformctl never renders {key.kind} objects (was its inventory edited?)"
    if key.namespace and key.namespace not in scope.namespaces:
        where = f"namespace '{scope.namespace}'" if not scope.teams else f"namespaces ({', '.join(scope.namespaces)})"
        return f"{NOT_OURS}: it is outside this environment's {where} (was its inventory edited?)"
    misplaced = scope.outside(key)
    return f"{NOT_OURS}: {misplaced}" if misplaced else ""


def owned_live(live: Mapping[ObjectKey, Manifest], scope: Scope) -> list[ObjectKey]:
    """Live objects that pass the ownership rule, sorted: what ``--adopt`` writes into a rebuilt inventory."""
    return sorted(k for k, obj in live.items() if not not_ours(k, obj, scope))


def unaccounted(live: Mapping[ObjectKey, Manifest], desired: Iterable[ObjectKey], scope: Scope) -> list[ObjectKey]:
    """Objects platformctl applied that Git no longer renders: with no inventory, nothing would ever prune them."""
    wanted = set(desired)
    return [k for k in owned_live(live, scope) if k not in wanted]


OWNER_ANNOTATION = "owner"
"""The namespace annotation Kubeflow's profile controller compares with a Profile's owner before adopting it."""


def team_takeover(key: ObjectKey, desired: Manifest, live: Manifest | None, scope: Scope) -> str:
    """Why applying a team's Namespace over this live one would hand a namespace platformctl did not create to the
    team ('' when it would not). Writing the ``owner`` annotation onto someone else's namespace is all the profile
    controller needs to adopt it and make the team's owner its admin, so it is never done."""
    if live is None or key.kind != "Namespace" or key.name not in scope.teams or applied_by_platformctl(live):
        return ""
    wanted = ((desired.get("metadata") or {}).get("annotations") or {}).get(OWNER_ANNOTATION)
    found = ((live.get("metadata") or {}).get("annotations") or {}).get(OWNER_ANNOTATION)
    if found == wanted:
        return ""  # already the team's (created for it by hand, or by the profile controller)
    who = f"its owner annotation is '{found}'" if found else "it has no owner annotation"
    return (f"namespace '{key.name}' exists and platformctl did not create it ({who}): a team may not take over an "
            f"existing namespace, since the profile controller would then make the team's owner its admin; give the "
            f"team another namespace, or annotate the namespace owner={wanted} if it is the team's")

