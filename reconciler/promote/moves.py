"""Which pinned versions move, and the commit that says so (pure).

The version promoted is the one the source environment runs: its pin, or, where it pins
nothing, the version its override or the component file gives it (the commit body says so).
Copying that version into the target's ``spec.versions`` makes the target run exactly what
was tested, and freezes it there even when the component file moves on later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.promote.order import PromotionRefused
from reconciler.spec.document import EnvironmentView, Spec


@dataclass(frozen=True, slots=True)
class Move:
    """One component's pin in the target: from ``old`` (None: unversioned) to ``new``."""

    ref: str
    name: str
    old: str | None
    new: str
    old_pinned: bool
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Promotion:
    """What moves into one environment file, and what was left alone and why."""

    target: str
    path: str
    source: str | None
    release: str | None
    moves: tuple[Move, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def updates(self) -> dict[str, str]:
        """Reference -> new pinned version, for the file edit."""
        return {m.ref: m.new for m in self.moves}

    @property
    def what(self) -> str:
        """The release name, or the component names joined with '+'."""
        return self.release or "+".join(m.name for m in self.moves)

    @property
    def branch(self) -> str:
        """``promote/<to>/<what>``."""
        return f"promote/{self.target}/{self.what}"

    @property
    def subject(self) -> str:
        """The commit's first line: promote, roll back or pin, naming what moved."""
        if self.source is None:
            move = self.moves[0]
            verb = "roll back" if is_older(move.new, move.old) else "pin"
            return f"{verb} {move.name} {move.old or '(unversioned)'} -> {move.new} in {self.target}"
        if self.release:
            return f"promote release {self.release} to {self.target}"
        if len(self.moves) == 1:
            move = self.moves[0]
            return f"promote {move.name} {move.old or '(unversioned)'} -> {move.new} to {self.target}"
        return f"promote {', '.join(m.name for m in self.moves)} to {self.target}"

    @property
    def message(self) -> str:
        """Subject, then one line per component moved (and skipped), for ``git log``."""
        origin = f"from {self.source} " if self.source else ""
        lines = [self.subject, "", f"Pinned {origin}in {self.path} (spec.versions):", ""]
        for move in self.moves:
            old = move.old or "(unversioned)"
            if not move.old_pinned:
                old += " (not pinned: the component's own version)"
            lines.append(f"- {move.ref}: {old} -> {move.new}{f' ({move.origin})' if move.origin else ''}")
        if self.skipped:
            lines += ["", "Left alone:", ""] + [f"- {ref}: {reason}" for ref, reason in self.skipped]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class PromotionSet:
    """The promotions of one change: one environment file each, committed together (``--to`` a stage, or
    several ``--to``); ``left_alone`` names the targets where nothing would change, and why."""

    promotions: tuple[Promotion, ...]
    label: str
    """The stage or environment(s) named by ``--to``, for the branch name."""
    left_alone: tuple[tuple[str, str], ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """The environments whose files change."""
        return tuple(p.target for p in self.promotions)

    @property
    def what(self) -> str:
        """The release name, or the component names moved anywhere joined with '+'."""
        names = dict.fromkeys(m.name for p in self.promotions for m in p.moves)
        return self.promotions[0].release or "+".join(names)

    @property
    def branch(self) -> str:
        """``promote/<stage or environments>/<what>``."""
        return f"promote/{self.label}/{self.what}"

    @property
    def subject(self) -> str:
        """The commit's first line (one environment: its promotion's subject)."""
        if len(self.promotions) == 1:
            return self.promotions[0].subject
        first, where = self.promotions[0], ", ".join(self.targets)
        if first.release:
            return f"promote release {first.release} to {where}"
        moves = {(m.name, m.new) for p in self.promotions for m in p.moves}
        if len(moves) == 1:
            [(name, new)] = moves
            return f"promote {name} {new} to {where}" if first.source else f"pin {name} {new} in {where}"
        return f"promote {self.what.replace('+', ', ')} to {where}"

    @property
    def message(self) -> str:
        """Subject, then each environment's lines (as ``Promotion.message`` has them), then the targets left alone."""
        if len(self.promotions) == 1 and not self.left_alone:
            return self.promotions[0].message
        bodies = [p.message.split("\n", 2)[2] for p in self.promotions]
        text = self.subject + "\n\n" + "\n".join(bodies)
        if self.left_alone:
            text += "\nUnchanged:\n\n" + "".join(f"- {env}: {reason}\n" for env, reason in self.left_alone)
        return text


def resolve_targets(spec: Spec, names: Sequence[str]) -> tuple[tuple[str, ...], str]:
    """The environments ``--to`` names (an environment, or a stage: every environment with that
    ``spec.stage``), in order without repeats, and the label of the branch name."""
    stages = {view.model.spec.stage for view in spec.environments.values() if view.model.spec.stage}
    found: list[str] = []
    for name in names:
        if name in spec.environments:
            found.append(name)
        elif name in stages:
            members = [env for env, view in spec.environments.items() if view.model.spec.stage == name]
            ordered = [env for stage in spec.platform.spec.stages() for env in stage if env in members]
            found.extend(dict.fromkeys([*ordered, *members]))  # promotion order first
        else:
            raise PromotionRefused(f"no environment or stage named '{name}'; environments: "
                                   f"{', '.join(sorted(spec.environments))}; stages: {', '.join(sorted(stages))}")
    targets = tuple(dict.fromkeys(found))
    return targets, names[0] if len(names) == 1 else "+".join(targets)


def component_refs(spec: Spec, names: Sequence[str]) -> list[str]:
    """References for names given as ``fraud-detector`` or ``serving/fraud-detector``."""
    refs = []
    for name in names:
        if "/" in name:
            found = [name] if name in spec.components else []
        else:
            found = sorted(ref for ref in spec.components if ref.split("/", 1)[1] == name)
        if not found:
            raise PromotionRefused(f"no component named '{name}'; components: {', '.join(sorted(spec.components))}")
        if len(found) > 1:
            raise PromotionRefused(f"'{name}' names several components ({', '.join(found)}); use KIND/NAME")
        refs.append(found[0])
    return refs


def release_refs(spec: Spec, release: str) -> list[str]:
    """The members of a release declared in platform.yaml ``spec.releases``."""
    releases = spec.platform.spec.releases
    if release not in releases:
        known = ", ".join(sorted(releases)) or "none declared"
        raise PromotionRefused(f"no release named '{release}' in platform.yaml spec.releases (known: {known})")
    return list(releases[release])


def plan_promotion(spec: Spec, refs: Sequence[str], *, target: str, source: str | None = None,
                   version: str | None = None, release: str | None = None) -> Promotion:
    """Decide each component's new pin; refuse when nothing would change or a named component cannot move.

    Members of a release that cannot move (not run by the target, no version) are skipped with
    the reason; components named one by one are refused instead.
    """
    target_view = _environment(spec, target)
    source_view = _environment(spec, source) if source else None
    moves: list[Move] = []
    skipped: list[tuple[str, str]] = []
    for ref in refs:
        try:
            move = _move(spec, ref, target_view, source_view, version)
        except PromotionRefused as exc:
            if release is None:
                raise
            skipped.append((ref, str(exc)))
            continue
        if move is None:
            skipped.append((ref, f"{target} already runs {target_view.components[ref].version}"))
        else:
            moves.append(move)
    if not moves:
        reasons = "; ".join(f"{ref}: {reason}" for ref, reason in skipped)
        raise PromotionRefused(f"nothing would change in {target} ({reasons})")
    return Promotion(target, target_view.source.path, source, release, tuple(moves), tuple(skipped))


def _environment(spec: Spec, name: str) -> EnvironmentView:
    if name not in spec.environments:
        raise PromotionRefused(f"unknown environment '{name}'; known: {', '.join(sorted(spec.environments))}")
    return spec.environments[name]


def _move(spec: Spec, ref: str, target: EnvironmentView, source: EnvironmentView | None,
          version: str | None) -> Move | None:
    component = spec.components.get(ref)
    if component is None:
        raise PromotionRefused(f"no component '{ref}'")
    if "version" not in type(component.doc.spec).model_fields:
        raise PromotionRefused(f"{component.kind} components have no version to pin")
    if ref not in target.components:
        raise PromotionRefused(f"{target.name} does not run {ref} (not selected by its spec.components)")
    origin = ""
    if version is None:
        assert source is not None, "either a source environment or a version"
        if ref not in source.components:
            raise PromotionRefused(f"{source.name} does not run {ref}, so it has no version to promote")
        version = source.components[ref].version
        if version is None:
            raise PromotionRefused(f"{source.name} runs {ref} without a version; pin one there first")
        if ref not in source.model.spec.versions:
            origin = f"{source.name} pins nothing: the version it runs from {component.source.path}"
    current = target.components[ref].version
    if current == version:
        return None
    return Move(ref, _display(spec, ref), current, version, ref in target.model.spec.versions, origin)


def _display(spec: Spec, ref: str) -> str:
    """The component's name, or its reference when another kind uses the same name."""
    name = ref.split("/", 1)[1]
    same = [r for r in spec.components if r.split("/", 1)[1] == name]
    return name if len(same) == 1 else ref.replace("/", "-")


def version_key(version: str) -> tuple[tuple[tuple[int, int | str], ...], int, str]:
    """A sort key for versions: numbers compare as numbers; a pre-release sorts before its release."""
    main, _, pre = version.lstrip("vV").partition("-")
    parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|[A-Za-z]+", main))
    return parts, 0 if pre else 1, pre


def is_older(new: str, old: str | None) -> bool:
    """Whether ``new`` sorts before ``old`` (a rollback)."""
    return old is not None and version_key(new) < version_key(old)
