"""Check a loaded spec against the operator policy: located errors, nothing raised.

Pure given its Enforcement (whose ``realpath`` is the only window on the file system).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from reconciler.errors import SpecError, SpecErrors
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.model import EnvironmentRule
from reconciler.policy.places import PlaceRefused, kubeconfig_place, relative_directory
from reconciler.spec.checks.teams import team_namespaces, team_ref
from reconciler.spec.document import EnvironmentView, Resolved, Spec
from reconciler.spec.models import Cluster, TeamSpec

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Writer:
    """One (environment, cluster) writing a namespace on a cluster identified by ``identity``."""

    view: EnvironmentView
    cluster: str
    loc: Loc
    selected: bool
    who: str = ""
    """'' for the environment itself, else which of its teams."""


def check(spec: Spec, enforcement: Enforcement, environments: tuple[str, ...] = ()) -> list[SpecError]:
    """Every way the spec's environments (all, or ``environments``) break the operator policy."""
    found: list[SpecError] = []
    writers: dict[tuple[tuple[str, ...], str], list[_Writer]] = defaultdict(list)
    for name, view in sorted(spec.environments.items()):
        selected = not environments or name in environments
        # an environment not checked here still occupies its namespaces: find them, report nothing of its own
        report: list[SpecError] = found if selected else []
        rule = enforcement.policy.spec.rule_for(name) if selected else EnvironmentRule()
        if rule is None:
            found.append(view.source.error(("metadata", "name"), f"environment '{name}' has no rule in "
                                           f"{enforcement.origin}", "ask the operator to add it under "
                                           "spec.environments (or a '*' entry)"))
            continue
        for index, cluster in enumerate(view.model.spec.clusters):
            at: Loc = ("spec", "clusters", index)
            ns_loc: Loc = (*at, "namespace") if cluster.namespace else ("spec", "namespace")
            namespace = cluster.namespace or view.model.spec.namespace
            report.extend(_namespace(view, enforcement, rule, namespace, ns_loc))
            try:
                identity = _connection(view, enforcement, rule, cluster, at, report)
            except PlaceRefused as exc:
                report.append(view.source.error(_place_loc(cluster, at), exc.message, exc.hint))
                continue
            if identity is not None:
                writers[(identity, namespace)].append(_Writer(view, cluster.name, ns_loc, selected))
            for team, team_namespace in sorted(team_namespaces(view, cluster.name).items()):
                item = view.components[team_ref(team)]
                report.extend(_team(view, enforcement, rule, team, team_namespace, item))
                if identity is not None:
                    writers[(identity, team_namespace)].append(
                        _Writer(view, cluster.name, ("spec", "components"), selected, f"team '{team}'"))
    found.extend(_shared(writers))
    return found


def _team(view: EnvironmentView, enforcement: Enforcement, rule: EnvironmentRule, team: str, namespace: str,
          item: Resolved) -> list[SpecError]:
    """A hosted team: allowed by name, its namespace allowed, each plugin's cloud identity allowed."""
    if not rule.allows_team(team):
        return [view.source.error(("spec", "components"), f"environment '{view.name}' may not host team '{team}' "
                                  f"({enforcement.origin})", f"teams allowed: {', '.join(rule.teams) or 'none'}")]
    found = []
    if enforcement.is_reserved(namespace):
        found.append(item.error(("namespace",), f"team '{team}''s namespace '{namespace}' is reserved (kube-*, the "
                                "operator policy's reservedNamespaces, platformctl's own)",
                                "give the team a namespace of its own"))
    elif not rule.allows_namespace(namespace):
        found.append(item.error(("namespace",), f"team '{team}''s namespace '{namespace}' is not allowed for "
                                f"environment '{view.name}' by {enforcement.origin}",
                                f"use one of: {', '.join(rule.namespaces) or 'none'}"))
    assert isinstance(item.spec, TeamSpec)
    for index, identity in item.spec.identities():
        if not rule.allows_identity(identity):
            found.append(item.error(("plugins", index, "spec"), f"team '{team}' binds cloud identity {identity}, "
                                    f"which environment '{view.name}' may not grant ({enforcement.origin})",
                                    "ask the operator to list it under teamIdentities, or remove the plugin"))
    return found


def require(spec: Spec, enforcement: Enforcement, environments: tuple[str, ...] = ()) -> None:
    """Raise SpecErrors when the spec (its ``environments``, default all) breaks the operator policy."""
    errors = check(spec, enforcement, environments)
    if errors:
        raise SpecErrors(errors)


def _namespace(view: EnvironmentView, enforcement: Enforcement, rule: EnvironmentRule, namespace: str,
               loc: Loc) -> list[SpecError]:
    if enforcement.is_reserved(namespace):
        return [view.source.error(loc, f"namespace '{namespace}' is reserved (kube-*, the operator policy's "
                                  "reservedNamespaces, platformctl's own) and no environment may write it",
                                  "use a namespace of the environment's own")]
    if not rule.allows_namespace(namespace):
        return [view.source.error(loc, f"namespace '{namespace}' is not allowed for environment '{view.name}' by "
                                  f"{enforcement.origin}", f"use one of: {', '.join(rule.namespaces) or 'none'}")]
    return []


def _connection(view: EnvironmentView, enforcement: Enforcement, rule: EnvironmentRule, cluster: Cluster, at: Loc,
                found: list[SpecError]) -> tuple[str, ...] | None:
    """The cluster's identity (None when refused), recording refusals in ``found``; PlaceRefused for places."""
    if cluster.in_cluster:
        if not rule.in_cluster:
            found.append(view.source.error((*at, "inCluster"), f"environment '{view.name}' may not use the "
                                           f"in-cluster connection ({enforcement.origin})",
                                           "use a kubeconfig context the operator allows"))
            return None
        return ("in-cluster",)
    if cluster.directory is not None:
        relative = relative_directory(enforcement, cluster.directory)
        if not rule.allows_directory(relative):
            found.append(view.source.error((*at, "directory"), f"directory '{cluster.directory}' is not allowed "
                                           f"for environment '{view.name}' by {enforcement.origin}",
                                           f"use one of: {', '.join(rule.directories) or 'none'}"))
            return None
        return ("directory", str(enforcement.directory_root / relative))
    assert cluster.kubeconfig is not None
    context = cluster.kubeconfig.context
    if not rule.allows_context(context):
        found.append(view.source.error((*at, "kubeconfig", "context"), f"context '{context}' is not allowed for "
                                       f"environment '{view.name}' by {enforcement.origin}",
                                       f"use one of: {', '.join(rule.contexts) or 'none'}"))
        return None
    if cluster.kubeconfig.path is not None:
        return ("kubeconfig", str(kubeconfig_place(enforcement, cluster.kubeconfig.path)), context)
    return ("kubeconfig", enforcement.kubeconfig_env or "~/.kube/config", context)


def _place_loc(cluster: Cluster, at: Loc) -> Loc:
    return (*at, "directory") if cluster.directory is not None else (*at, "kubeconfig", "path")


def _shared(writers: dict[tuple[tuple[str, ...], str], list[_Writer]]) -> list[SpecError]:
    """Two targets writing one namespace of one cluster would overwrite and prune each other's objects."""
    found = []
    for (identity, namespace), group in sorted(writers.items()):
        if len(group) < 2:
            continue
        for writer in (w for w in group if w.selected):
            others = ", ".join(f"environment '{o.view.name}'{f' ({o.who})' if o.who else ''} cluster '{o.cluster}' "
                               f"({o.view.source.path})" for o in group if o is not writer)
            mine = f" (used by {writer.who})" if writer.who else ""
            found.append(writer.view.source.error(writer.loc, f"namespace '{namespace}'{mine} on "
                                                  f"{_describe(identity)} is also written by {others}",
                                                  "give each environment (and team) its own namespace on each "
                                                  "cluster"))
    return found


def _describe(identity: tuple[str, ...]) -> str:
    if identity[0] == "in-cluster":
        return "the in-cluster cluster"
    if identity[0] == "directory":
        return f"directory {identity[1]}"
    return f"context '{identity[2]}' of {identity[1]}"
