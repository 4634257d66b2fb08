"""What every Twilio notifier shares: the callback context on both Airflow lines, rendering, sync and async use."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, cast

from airflow.providers.common.compat.notifier import BaseNotifier


def _base_takes_context() -> bool:
    return "context" in inspect.signature(BaseNotifier.__init__).parameters


class TwilioNotifierBase(BaseNotifier):
    """Subclasses set their fields, then call ``super().__init__(**kwargs)``, and implement ``send()``."""

    def __init__(self, **kwargs: Any) -> None:
        # Airflow >= 3.1 passes the callback context to __init__; the 2.x base class takes no arguments.
        context = kwargs.pop("context", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments: {', '.join(sorted(kwargs))}")
        if _base_takes_context():
            super().__init__(context=context)
        else:
            super().__init__()
            self.context = cast(Any, context or {})

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from airflow_provider_twilio.run_context import rendering_template_errors

        # Rendering writes the results over the templates. One instance often serves many callbacks in
        # one process (default_args, dag.test()), so each render starts again from the templates.
        templates = self.__dict__.setdefault("_templates", {name: getattr(self, name) for name in self.template_fields})
        for name, template in templates.items():
            setattr(self, name, template)
        rendering_template_errors(
            lambda: super(TwilioNotifierBase, self).render_template_fields(context, jinja_env),
            type(self).__name__,
        )

    def notify(self, context: Any) -> None:
        self.send()

    async def async_notify(self, context: Any) -> None:
        # The Twilio calls are synchronous; keep the event loop free while they run.
        await asyncio.to_thread(self.send)

    def send(self) -> Any:
        raise NotImplementedError
