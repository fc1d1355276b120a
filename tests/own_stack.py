"""A stack of a test module's own: its own copy of the database, its servers on the module's
clock (a ``stack_clock`` fixture of the module, else the shared stack's). A module imports the
three fixtures, which then stand for ``stack``, ``dialogue`` and ``shop`` in its tests::

    from tests.own_stack import own_dialogue, own_shop, own_stack  # noqa: F401 - fixtures
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.dialogue import RasaDialogue
from assistant.services import Stack
from tests.clock.fixed_clock import FixedClock
from tests.stack import Shop, private_stack, rasa_client, shop_reader


@pytest.fixture(scope="module", name="stack")
def own_stack(
    stack_template: Path,
    stack_clock: FixedClock,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])
    with private_stack(stack_template, work, stack_clock) as started:
        yield started


@pytest.fixture(scope="module", name="dialogue")
def own_dialogue(stack: Stack) -> Iterator[RasaDialogue]:
    with rasa_client(stack) as client:
        yield client


@pytest.fixture(scope="module", name="shop")
def own_shop(stack: Stack) -> Iterator[Shop]:
    with shop_reader(stack) as reader:
        yield reader
