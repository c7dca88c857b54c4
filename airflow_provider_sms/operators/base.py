"""What every SMS operator shares: the connection id, the hook its type picks, and phone numbers
shown masked in Airflow's rendered-fields view."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.rules.inputs import split_recipients
from airflow_provider_sms.rules.numbers import mask_number, normalize_number
from airflow_provider_sms.rules.text import unstorable_problems

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_sms.hooks.base import SmsHook


class MaskedRecipients(list):  # type: ignore[type-arg]
    """A recipients field after rendering, as Airflow shows it: every number masked."""


def masked_recipients(value: object) -> MaskedRecipients:
    """What the rendered-fields view shows for a recipients field: every number masked."""
    try:
        entries = split_recipients(value)
    except SmsValidationError:
        return MaskedRecipients(["<recipients in an unreadable shape>"])
    return MaskedRecipients(
        _masked(entry.get("recipient") if isinstance(entry, Mapping) else entry) for entry in entries
    )


def _masked(raw: object) -> str:
    """The E.164 form masked when the entry is a number (so no spelling shows more digits)."""
    try:
        return mask_number(normalize_number(raw)) if isinstance(raw, str) else mask_number(raw)
    except ValueError:
        return mask_number(raw)


def refuse_unstorable(task: Any) -> None:
    """Raise :class:`~airflow_provider_sms.exceptions.SmsValidationError` naming each rendered
    templated field of ``task`` that holds a lone surrogate: Airflow would crash saving it as a
    rendered field (``UnicodeEncodeError``), and no gateway could take it. Call it once rendered,
    before Airflow saves the rendered fields; nothing is quoted."""
    problems = unstorable_problems({name: getattr(task, name, None) for name in task.template_fields})
    if problems:
        raise SmsValidationError(problems)


class SmsBaseOperator(BaseOperator):
    """Base of the SMS operators: holds ``sms_conn_id`` and builds the hook its type names.

    :param sms_conn_id: Airflow connection of type ``primotexto`` or ``smspartner``. (templated)
    :param mask_recipients: show the phone numbers of the rendered recipients masked in Airflow's
        Rendered Template view (the task still uses them in full).
    """

    template_fields: Sequence[str] = ("sms_conn_id",)
    #: Templated fields that hold phone numbers (masked once rendered, see ``mask_recipients``).
    recipient_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, sms_conn_id: str, mask_recipients: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sms_conn_id = sms_conn_id
        self.mask_recipients = mask_recipients
        self._rendered_numbers: dict[str, Any] = {}

    def _do_render_template_fields(self, *args: Any, **kwargs: Any) -> None:
        """Render as usual; then keep the rendered numbers aside and leave masked ones in the
        fields, which is what Airflow saves for its Rendered Template view.

        Hooked here rather than in ``render_template_fields`` because a mapped task renders its
        unmapped copy through this method; either way it runs before the rendered fields are saved.
        A rendered value Airflow could not save (a lone surrogate) fails the task here, with an
        :class:`~airflow_provider_sms.exceptions.SmsValidationError` naming the field.
        """
        super()._do_render_template_fields(*args, **kwargs)
        refuse_unstorable(self)
        if not self.mask_recipients:
            return
        # A new dict, never a mutation: Airflow runs shallow copies of the DAG's operator.
        kept = dict(self._rendered_numbers)
        for name in self.recipient_fields:
            value = getattr(self, name)
            if not isinstance(value, MaskedRecipients):  # not already rendered and masked
                kept[name] = value
                setattr(self, name, masked_recipients(value))
        self._rendered_numbers = kept

    def rendered(self, name: str) -> Any:
        """The rendered value of a recipients field, in full (the field itself may be masked)."""
        return self._rendered_numbers.get(name, getattr(self, name))

    @cached_property
    def hook(self) -> SmsHook:
        """The gateway hook for ``sms_conn_id`` (connection read on first use, at run time)."""
        return get_sms_hook(self.sms_conn_id)
