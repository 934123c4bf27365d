"""The promotion order: a target must come right after its source (pure)."""

from __future__ import annotations

from reconciler.errors import PlatformctlError
from reconciler.spec.models import Platform


class PromotionRefused(PlatformctlError):
    """A promotion that must not happen; the message says why and what to do instead."""


def describe_order(platform: Platform) -> str:
    """``dev -> staging -> prod-onprem+prod-cloud``."""
    return " -> ".join("+".join(stage) for stage in platform.spec.stages())


def check_order(platform: Platform, source: str, target: str, *, skip_stage: bool = False) -> None:
    """Refuse unless ``target``'s stage comes right after ``source``'s (or later, with ``skip_stage``)."""
    stage_of = {env: index for index, stage in enumerate(platform.spec.stages()) for env in stage}
    order = describe_order(platform)
    for env in (source, target):
        if env not in stage_of:
            raise PromotionRefused(f"environment '{env}' is not in the promotion order ({order}); "
                                   f"add it to spec.promotion in platform.yaml")
    if source == target:
        raise PromotionRefused(f"--from and --to are both '{source}'")
    gap = stage_of[target] - stage_of[source]
    if gap == 0:
        raise PromotionRefused(f"'{source}' and '{target}' are in the same stage ({order}); promote to '{target}' "
                               f"from the stage before it")
    if gap < 0:
        raise PromotionRefused(f"'{target}' comes before '{source}' in the promotion order ({order}); to roll back, "
                               f"pin a version: promote COMPONENT --to {target} --version V")
    if gap > 1 and not skip_stage:
        skipped = [env for stage in platform.spec.stages()[stage_of[source] + 1:stage_of[target]] for env in stage]
        raise PromotionRefused(f"promoting from '{source}' to '{target}' skips {', '.join(skipped)} ({order}); "
                               f"promote through each stage, or pass --skip-stage")
