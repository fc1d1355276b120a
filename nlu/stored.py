"""What the project's trained Rasa graph components share: made from their config, model
storage and resource, with what they learned in training read back from the resource."""

from __future__ import annotations

from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

_Component = TypeVar("_Component", bound="StoredComponent")


class StoredComponent(GraphComponent):
    """A trainable component kept in its resource. A subclass takes ``(config, model_storage,
    resource, *learned)`` and reads ``learned`` back in :meth:`read_learned` (nothing learned
    yet: ``()``)."""

    @classmethod
    def create(
        cls: type[_Component],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _Component:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[_Component],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> _Component:
        learned = cls.read_learned(model_storage, resource)
        return cls(config, model_storage, resource, *learned)

    @classmethod
    def read_learned(cls, model_storage: ModelStorage, resource: Resource) -> tuple[Any, ...]:
        """What training stored in ``resource``, as the constructor's arguments after it."""
        return ()
