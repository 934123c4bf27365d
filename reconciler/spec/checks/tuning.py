"""Katib rules for tuning components: counts, feasible spaces, objective, trial parameters."""

from __future__ import annotations

import re

from reconciler.errors import SpecError
from reconciler.spec.document import Resolved, Spec
from reconciler.spec.models import TuningSpec
from reconciler.spec.checks.tuning_algorithms import RULES, check_algorithm
from reconciler.spec.checks.tuning_collector import check_collector
from reconciler.spec.models.tuning import NAS_REFERENCES, Parameter

PLACEHOLDER = re.compile(r"\$\{trialParameters\.([^}]*)\}")

# Setting names per algorithm (the full rules, with values and NAS, are in tuning_algorithms.RULES).
ALGORITHM_SETTINGS: dict[str, set[str]] = {name: set(rule.settings) for name, rule in RULES.items()}


def check(spec: Spec) -> list[SpecError]:
    """Katib rules, for each tuning component as written and as each environment runs it."""
    found: list[SpecError] = []
    for _env, item in spec.variants(distinct=True):
        if isinstance(item.spec, TuningSpec):
            tuning = item.spec
            found += _objective(item, tuning) + _counts(item, tuning) + check_algorithm(item, tuning)
            found += _trial_template(item, tuning) + check_collector(item, tuning.metrics_collector)
            for i, operation in enumerate(tuning.nas.operations if tuning.nas else ()):
                for j, parameter in enumerate(operation.parameters):
                    found += _feasible_space(item, j, parameter, tuning.algorithm.name, ("nas", "operations", i, "parameters", j))
            seen: set[str] = set()
            for i, parameter in enumerate(tuning.parameters):
                found += _feasible_space(item, i, parameter, tuning.algorithm.name)
                if parameter.name in seen:
                    found.append(item.error(("parameters", i, "name"), f"parameter '{parameter.name}' is declared "
                                            "twice", "give each parameter a unique name"))
                seen.add(parameter.name)
    return found


def _objective(item: Resolved, tuning: TuningSpec) -> list[SpecError]:
    objective = tuning.objective
    if objective.metric in objective.additional_metrics:
        index = objective.additional_metrics.index(objective.metric)
        return [item.error(("objective", "additionalMetrics", index),
                           f"objective metric '{objective.metric}' is repeated in additionalMetrics",
                           "list only the other metrics there")]
    return []


def _counts(item: Resolved, tuning: TuningSpec) -> list[SpecError]:
    trials, found = tuning.trials, []
    if trials.max is not None and trials.parallel > trials.max:
        found.append(item.error(("trials", "parallel"), f"trials.parallel ({trials.parallel}) exceeds trials.max "
                                f"({trials.max})", "lower parallel or raise max"))
    if trials.max is not None and trials.max_failed is not None and trials.max_failed > trials.max:
        found.append(item.error(("trials", "maxFailed"), f"trials.maxFailed ({trials.max_failed}) exceeds trials.max "
                                f"({trials.max})", "lower maxFailed or raise max"))
    if trials.max is None and tuning.objective.goal is None:
        found.append(item.error(("trials",), "the search has neither trials.max nor objective.goal, so it may "
                                "never end", "set trials.max (and a goal if you want to stop early)"))
    return found


def _feasible_space(item: Resolved, i: int, p: Parameter, algorithm: str,
                    at: tuple[str | int, ...] | None = None) -> list[SpecError]:
    loc = at or ("parameters", i)
    found = []
    if p.type in ("int", "double"):
        if p.min is None or p.max is None:
            found.append(item.error(loc, f"parameter '{p.name}' ({p.type}) needs min and max", "add min and max"))
        elif p.min > p.max:
            found.append(item.error((*loc, "min"), f"parameter '{p.name}': min ({p.min}) is above max ({p.max})",
                                    "swap or fix the bounds"))
        if p.values:
            found.append(item.error((*loc, "values"), f"parameter '{p.name}' ({p.type}) cannot list values",
                                    "use type categorical or discrete for a list of values"))
        if p.type == "int":
            for key in ("min", "max", "step"):
                value = getattr(p, key)
                if value is not None and not float(value).is_integer():
                    found.append(item.error((*loc, key), f"parameter '{p.name}' is int but {key} is {value}",
                                            "use whole numbers or type double"))
        if p.step is not None and p.step <= 0:
            found.append(item.error((*loc, "step"), f"parameter '{p.name}': step must be positive", "use a step > 0"))
        if algorithm == "grid" and p.step is None:
            found.append(item.error(loc, f"grid search needs a step for numeric parameter '{p.name}'", "add step"))
    else:
        if not p.values:
            found.append(item.error(loc, f"parameter '{p.name}' ({p.type}) needs values", "list the values"))
        for key in ("min", "max", "step", "distribution"):
            if getattr(p, key) is not None:
                found.append(item.error((*loc, key), f"parameter '{p.name}' ({p.type}) cannot have {key}",
                                        "remove it; min/max/step are for int and double"))
        if p.type == "discrete":
            for j, value in enumerate(p.values):
                if not _is_number(value):
                    found.append(item.error((*loc, "values", j), f"discrete parameter '{p.name}' has non-numeric "
                                            f"value {value!r}", "use type categorical for strings"))
    return found


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _trial_template(item: Resolved, tuning: TuningSpec) -> list[SpecError]:
    template, found = tuning.trial_template, []
    texts = [*template.command, *(v for v in template.env.values() if isinstance(v, str))]
    used = {name for text in texts for name in PLACEHOLDER.findall(text)}
    declared = {p.name for p in tuning.parameters}
    if tuning.nas is not None:
        declared |= set(NAS_REFERENCES.get(tuning.algorithm.name, ()))
    for name in sorted(used - declared):
        found.append(item.error(("trialTemplate", "command"), f"${{trialParameters.{name}}} is used but no "
                                f"parameter '{name}' is declared", f"declared parameters: {', '.join(sorted(declared))}"))
    for i, parameter in enumerate(tuning.parameters):
        if parameter.name not in used:
            found.append(item.error(("parameters", i, "name"), f"parameter '{parameter.name}' is never used by the "
                                    "trial", f"pass it in trialTemplate.command as ${{trialParameters.{parameter.name}}}"))
    if tuning.nas is not None and not used & declared:
        refs = ", ".join(f"${{trialParameters.{r}}}" for r in NAS_REFERENCES.get(tuning.algorithm.name, ()))
        found.append(item.error(("trialTemplate", "command"), "the trial never receives the architecture to train",
                                f"pass {refs} in trialTemplate.command"))
    if template.kind == "TrainJob" and not template.runtime:
        found.append(item.error(("trialTemplate", "runtime"), "a TrainJob trial needs a runtime",
                                "name a ClusterTrainingRuntime, e.g. torch-distributed"))
    if template.kind == "TrainJob" and template.pod_annotations:
        found.append(item.error(("trialTemplate", "podAnnotations"), "a TrainJob trial has no pod template to "
                                "annotate (its runtime's templates shape the pods)",
                                "annotate the pods in the ClusterTrainingRuntime, or use kind Job or PyTorchJob"))
    if template.kind == "Job" and template.workers != 1:
        found.append(item.error(("trialTemplate", "workers"), "a batch Job trial runs one pod",
                                "use kind PyTorchJob, TFJob or TrainJob for several workers"))
    if template.kind == "TrainJob" and template.primary_pod_labels:
        found.append(item.error(("trialTemplate", "primaryPodLabels"), "a TrainJob trial's primary pod labels are "
                                "Katib's JobSet defaults", "remove primaryPodLabels, or use kind PyTorchJob or TFJob"))
    if "{version}" in template.image and not tuning.version:
        found.append(item.error(("trialTemplate", "image"), "image uses '{version}' but the component has no version",
                                "set spec.version or pin one in the environment"))
    return found
