"""What the action server registers when it scans ``skills`` (as ``rasa run actions`` does):
every skill action under its own name, and no nameless base class."""

from __future__ import annotations

import inspect

from rasa_sdk.executor import ActionExecutor

from skills.base import SkillAction


def test_the_scan_registers_each_skill_action_by_name_and_not_the_base() -> None:
    executor = ActionExecutor()
    executor.register_package("skills")
    assert "" not in executor.actions
    assert inspect.isabstract(SkillAction)
    names = sorted(executor.actions)
    assert names, "no actions registered"
    assert all(name.startswith("action_") for name in names)
    assert {"action_add_to_basket", "action_checkout", "action_affirm"} <= set(names)
