"""The settings each Katib suggestion algorithm accepts, checked offline (one table).

Names follow Katib's docs (configure-algorithm.md, the NAS docs) and the suggestion services'
validators: ENAS ranges from its algorithmSettingsValidator, Hyperband's from its service
(`resource_name` names a numeric search parameter, `eta` > 1, `r_l` > 0), the words
bayesianoptimization (skopt) and cmaes accept. A setting without a rule takes any value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reconciler.errors import SpecError
from reconciler.spec.document import Resolved
from reconciler.spec.models import TuningSpec


@dataclass(frozen=True)
class Range:
    """A setting's value: int or float, within [low, high] (low excluded when open_low)."""

    kind: type[int] | type[float]
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    none_ok: bool = False  # "None" turns the setting off (ENAS's enableNoneSettingsList)

    def problem(self, value: object) -> str | None:
        """Why ``value`` is out of range, or None."""
        if self.none_ok and str(value) == "None":
            return None
        try:
            number = self.kind(str(value))
        except ValueError:
            return f"must be {'an integer' if self.kind is int else 'a number'}"
        if number < self.low or (self.open_low and number == self.low) or number > self.high:
            low = f"> {self.low:g}" if self.open_low else f">= {self.low:g}"
            return f"must be {low}" + (f" and <= {self.high:g}" if self.high != math.inf else "")
        return None


@dataclass(frozen=True)
class OneOf:
    """A setting that takes one of a few words (case as Katib spells them)."""

    values: tuple[str, ...]

    def problem(self, value: object) -> str | None:
        """Why ``value`` is not one of the words, or None."""
        return None if str(value) in self.values else f"must be one of {', '.join(self.values)}"


@dataclass(frozen=True)
class Rule:
    """An algorithm: its settings (with the values Katib accepts, where it checks them), those required, NAS or not."""

    settings: dict[str, Range | OneOf | None]
    required: tuple[str, ...] = ()
    nas: bool = False


_ANY = None
_INT1, _FLOAT0, _UNIT, _OFF = Range(int, 1), Range(float, 0), Range(float, 0, 1), Range(float, 0, none_ok=True)
RULES: dict[str, Rule] = {
    "random": Rule({"random_state": _ANY}),
    "grid": Rule({"random_state": _ANY}),
    "sobol": Rule({"random_state": _ANY}),
    "tpe": Rule(dict.fromkeys(("n_EI_candidates", "random_state", "gamma", "prior_weight"))),
    "multivariate-tpe": Rule(dict.fromkeys(("n_ei_candidates", "random_state", "n_startup_trials"))),
    "bayesianoptimization": Rule({
        "base_estimator": OneOf(("GP", "RF", "ET", "GBRT")), "n_initial_points": _ANY,
        "acq_func": OneOf(("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps")), "acq_optimizer": _ANY, "random_state": _ANY,
    }),
    "cmaes": Rule({"random_state": _ANY, "sigma": _ANY, "restart_strategy": OneOf(("none", "ipop", "bipop"))}),
    "hyperband": Rule({"resource_name": _ANY, "eta": Range(float, 1, open_low=True), "r_l": Range(float, 0, open_low=True)},
                      required=("resource_name",)),
    "pbt": Rule(dict.fromkeys(("suggestion_trial_dir", "n_population", "resample_probability", "truncation_threshold"))),
    "enas": Rule({
        "controller_hidden_size": _INT1, "controller_temperature": _OFF, "controller_tanh_const": _OFF,
        "controller_entropy_weight": _OFF, "controller_baseline_decay": _UNIT, "controller_learning_rate": _UNIT,
        "controller_skip_target": _UNIT, "controller_skip_weight": _OFF, "controller_train_steps": _INT1,
        "controller_log_every_steps": _INT1,
    }, nas=True),
    "darts": Rule(dict.fromkeys((
        "num_epochs", "w_lr", "w_lr_min", "w_momentum", "w_weight_decay", "w_grad_clip", "alpha_lr",
        "alpha_weight_decay", "batch_size", "num_workers", "init_channels", "print_step", "num_nodes",
        "stem_multiplier")), nas=True),
}


def check_algorithm(item: Resolved, tuning: TuningSpec) -> list[SpecError]:
    """Setting names, values and required ones; NAS algorithms need nas, the others parameters."""
    name, settings = tuning.algorithm.name, tuning.algorithm.settings
    rule, found = RULES[name], []
    for key, value in settings.items():
        if key not in rule.settings:
            found.append(item.error(("algorithm", "settings", key), f"algorithm {name} has no setting '{key}'",
                                    f"its settings are: {', '.join(sorted(rule.settings))}"))
        elif (bound := rule.settings[key]) is not None and (why := bound.problem(value)) is not None:
            found.append(item.error(("algorithm", "settings", key), f"algorithm {name}: setting '{key}' ({value}) {why}",
                                    "fix the value"))
    for key in rule.required:
        if key not in settings:
            found.append(item.error(("algorithm", "settings"), f"algorithm {name} needs the setting '{key}'",
                                    f"add settings.{key}"))
    if name == "hyperband" and "resource_name" in settings:
        found += _resource(item, tuning, str(settings["resource_name"]))
    if name == "grid":
        found += _grid(item, tuning)
    if rule.nas and tuning.nas is None:
        found.append(item.error(("algorithm", "name"), f"algorithm {name} searches architectures and needs nas",
                                "add nas: {graph: ..., operations: [...]}, or use a hyperparameter algorithm"))
    if not rule.nas and tuning.nas is not None:
        found.append(item.error(("nas",), f"nas needs algorithm enas or darts, not {name}",
                                "set algorithm.name to enas or darts, or search parameters instead"))
    if tuning.nas is not None and tuning.parameters:
        found.append(item.error(("parameters",), "a search has either parameters or nas, not both",
                                "remove parameters (NAS trials get their architecture from the suggestion)"))
    if tuning.nas is None and not tuning.parameters:
        found.append(item.error(("parameters",), "the search has no parameters", "declare at least one parameter"))
    return found


def _resource(item: Resolved, tuning: TuningSpec, resource: str) -> list[SpecError]:
    numeric = {p.name for p in tuning.parameters if p.type in ("int", "double")}
    if resource in numeric:
        return []
    return [item.error(("algorithm", "settings", "resource_name"), f"hyperband resource_name '{resource}' is not a "
                       "numeric search parameter", f"name an int or double parameter: {', '.join(sorted(numeric)) or 'none'}")]


def _grid(item: Resolved, tuning: TuningSpec) -> list[SpecError]:
    """Katib's grid refuses more trials than grid points (its ValidateAlgorithmSettings)."""
    points = 1
    for p in tuning.parameters:
        if p.type in ("int", "double"):
            if p.min is None or p.max is None or p.step is None or p.step <= 0 or p.min > p.max:
                return []  # reported by the feasible-space checks
            points *= math.floor((p.max - p.min) / p.step + 1e-9) + 1
        else:
            points *= max(len(p.values), 1)
    if tuning.trials.max is not None and tuning.trials.max > points:
        return [item.error(("trials", "max"), f"grid search has {points} points but trials.max is {tuning.trials.max}",
                           f"lower trials.max to {points} or widen the grid")]
    return []
