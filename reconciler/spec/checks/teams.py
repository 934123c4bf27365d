"""Teams: every component's team exists and is hosted where the component runs; team namespaces are
distinct; a team's GPU quota bounds what its components request together (pure)."""

from __future__ import annotations

import difflib
from collections import defaultdict

from reconciler.errors import SpecError
from reconciler.spec.checks.policy import gpu_demand, uncapped_gpu_serving
from reconciler.spec.document import EnvironmentView, Resolved, Spec
from reconciler.spec.models import TeamSpec

TEAMS = "teams"


def check(spec: Spec) -> list[SpecError]:
    """Located errors for dangling teams, teams an environment does not host, clashing namespaces and quotas."""
    found = _references(spec)
    for view in spec.environments.values():
        found.extend(_hosted(spec, view))
        found.extend(_namespaces(view))
        found.extend(_gpu_quotas(view))
    return found


def team_ref(team: str) -> str:
    """The component reference of a team."""
    return f"{TEAMS}/{team}"


def _references(spec: Spec) -> list[SpecError]:
    found = []
    known = sorted(ref.split("/", 1)[1] for ref in spec.components if ref.startswith(f"{TEAMS}/"))
    for component in spec.components.values():
        team = component.doc.metadata.team
        if team is None:
            continue
        loc = ("metadata", "team")
        if component.kind == "Team":
            found.append(component.source.error(loc, "a team cannot belong to another team", "remove metadata.team"))
        elif team_ref(team) not in spec.components and team_ref(team) not in spec.broken:
            close = difflib.get_close_matches(team, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else (
                f"define it in components/{TEAMS}/{team}.yaml" + (f" or use one of: {', '.join(known)}" if known else ""))
            found.append(component.source.error(loc, f"team '{team}' is not defined", hint))
    return found


def _hosted(spec: Spec, view: EnvironmentView) -> list[SpecError]:
    """A component of a team runs only on clusters where its environment hosts the team (an undefined team
    is reported once, by ``_references``)."""
    found = []
    for ref, item in view.components.items():
        team = item.metadata.team
        if team is None or item.kind == "Team" or team_ref(team) not in spec.components:
            continue
        for cluster, refs in view.placed.items():
            if ref in refs and team_ref(team) not in refs:
                where = "" if len(view.placement) == 1 else f" on cluster '{cluster}'"
                found.append(view.source.error(
                    ("spec", "components"), f"environment '{view.name}' runs {ref}{where}, which belongs to team "
                    f"'{team}', but does not host that team there",
                    f"add {team_ref(team)} to spec.components (and to the cluster's components)"))
    return found


def team_namespaces(view: EnvironmentView, cluster: str) -> dict[str, str]:
    """Team name -> its namespace, for the teams the environment hosts on a cluster."""
    return {item.name: _spec(item).namespace_for(item.name) for ref in view.placement.get(cluster, ())
            if (item := view.components[ref]).kind == "Team"}


def _namespaces(view: EnvironmentView) -> list[SpecError]:
    found = []
    for cluster in view.model.spec.clusters:
        own = cluster.namespace or view.model.spec.namespace
        seen: dict[str, str] = {}
        for team, namespace in sorted(team_namespaces(view, cluster.name).items()):
            item = view.components[team_ref(team)]
            if namespace == own:
                found.append(item.error(("namespace",), f"team '{team}' would own namespace '{namespace}', which is "
                                        f"environment '{view.name}''s own", "give the team a namespace of its own "
                                        "(the profile controller owns a team's namespace)"))
            elif namespace in seen:
                found.append(item.error(("namespace",), f"teams '{seen[namespace]}' and '{team}' share namespace "
                                        f"'{namespace}' in environment '{view.name}'",
                                        "give each team its own namespace"))
            seen.setdefault(namespace, team)
    return found


def _gpu_quotas(view: EnvironmentView) -> list[SpecError]:
    """Per cluster, the GPUs a team's components request together stay within the team's quota."""
    found = []
    for cluster, refs in view.placement.items():
        members: dict[str, list[Resolved]] = defaultdict(list)
        for ref in refs:
            item = view.components[ref]
            if item.metadata.team is not None and item.kind != "Team":
                members[item.metadata.team].append(item)
        for team, items in sorted(members.items()):
            team_item = view.components.get(team_ref(team))
            if team_item is None or not view.runs(cluster, team_ref(team)):
                continue
            quota = _spec(team_item).gpu_quota()
            if quota is None:
                continue
            found.extend(_over_quota(view, cluster, team, team_item, quota, items))
    return found


def _over_quota(view: EnvironmentView, cluster: str, team: str, team_item: Resolved, quota: int,
                items: list[Resolved]) -> list[SpecError]:
    unbounded = [item.error(("replicas", "max"), f"{item.ref} requests GPUs but sets no replicas.max, so it could "
                            f"use more than team '{team}''s GPU quota of {quota}",
                            "set replicas.max (a number above 0) so its GPU demand is bounded")
                 for item in items if uncapped_gpu_serving(item)]
    if unbounded:
        return unbounded
    demand = {item.ref: gpu_demand(item) for item in items}
    total = sum(demand.values())
    if total <= quota:
        return []
    top = ", ".join(f"{ref} {n}" for n, ref in sorted(((n, r) for r, n in demand.items() if n), reverse=True)[:5])
    where = "" if len(view.placement) == 1 else f" on cluster '{cluster}'"
    quota_spec = _spec(team_item).resource_quota
    hard = quota_spec.hard if quota_spec is not None else {}
    key = next(k for k in hard if k.startswith("requests.") and k.endswith("/gpu"))
    return [team_item.error(("resourceQuota", "hard", key),
                            f"team '{team}''s components in environment '{view.name}'{where} request {total} GPUs, "
                            f"over the team's quota of {quota} ({top})",
                            "lower GPU counts or replicas, or raise the team's requests.*/gpu quota")]


def _spec(item: Resolved) -> TeamSpec:
    assert isinstance(item.spec, TeamSpec)
    return item.spec
