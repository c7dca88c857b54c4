"""The rules a hook applies before any request: the generic ones, with the gateway's own
characters, segment ceiling, schedule step and list types (from its capabilities)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.model.results import LIST_TYPES
from airflow_provider_sms.rules.request import validate_send
from airflow_provider_sms.rules.schedule import step_problems
from airflow_provider_sms.rules.text import count_segments, text_problems, too_many_segments

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_sms.hooks.capabilities import GatewayCapabilities
    from airflow_provider_sms.hooks.settings import ConnectionSettings
    from airflow_provider_sms.model.results import ListType
    from airflow_provider_sms.rules.inputs import OnInvalid
    from airflow_provider_sms.rules.marketing import MarketingWindow, OutsideMarketingHours
    from airflow_provider_sms.rules.request import ValidatedSend
    from airflow_provider_sms.rules.text import SegmentInfo


class GatewayRules:
    """Mixin of :class:`~airflow_provider_sms.hooks.base.SmsHook`: checks that need no request.

    A gateway overrides :meth:`character_problems` / :meth:`segments_of` /
    :meth:`message_problems` / :meth:`schedule_problems` to add its own rules.
    """

    hook_name: ClassVar[str]
    capabilities: ClassVar[GatewayCapabilities]

    if TYPE_CHECKING:

        @property
        def settings(self) -> ConnectionSettings: ...

    @property
    def list_types(self) -> tuple[ListType, ...]:
        """The blacklists this gateway keeps."""
        return self.capabilities.list_types

    def segments_of(self, text: str) -> SegmentInfo:
        """How ``text`` travels on this gateway (encoding, units, SMS parts)."""
        return count_segments(text)

    def character_problems(self, text: str) -> list[str]:
        """Characters this gateway refuses in a message (none by default)."""
        return []

    def message_problems(self, text: object) -> list[str]:
        """Everything this gateway would refuse in ``text`` (never quoted back); empty when fine."""
        problems = text_problems(text)
        if problems:
            return problems
        assert isinstance(text, str)
        problems = self.character_problems(text)
        info = self.segments_of(text)
        limit = self.capabilities.max_segments
        if info.segments > limit:
            problems.append(
                too_many_segments(info, self.hook_name, limit, self.capabilities.max_segments_source)
            )
        return problems

    def schedule_problems(self, when: datetime) -> list[str]:
        """What this gateway would refuse in a schedule (``when`` aware UTC, already in the future)."""
        return step_problems(when, self.capabilities.schedule_step_minutes, self.hook_name)

    def validate_send(
        self,
        recipients: object,
        message: object,
        *,
        sender: object = None,
        send_at: object = None,
        campaign_name: object = None,
        category: object = None,
        marketing: object = False,
        on_invalid: OnInvalid | str = "fail",
        now: datetime | None = None,
        outside_marketing_hours: OutsideMarketingHours | str = "schedule",
        marketing_window: MarketingWindow | None = None,
    ) -> ValidatedSend:
        """Check a whole send for this gateway before any request; raise every problem at once.

        ``sender`` defaults to the connection's ``sender`` extra. A marketing send outside the
        marketing window (default: the French one) is rescheduled to its next opening, refused or
        let through, as ``outside_marketing_hours`` says. See
        :func:`~airflow_provider_sms.rules.request.validate_send`.
        """
        return validate_send(
            recipients,
            message,
            gateway=self,
            sender=sender if sender is not None else self.settings.sender,
            send_at=send_at,
            campaign_name=campaign_name,
            category=category,
            marketing=marketing,
            on_invalid=on_invalid,
            now=now,
            outside_marketing_hours=outside_marketing_hours,
            marketing_window=marketing_window,
        )

    def category_problems(self, category: str) -> list[str]:
        """What this gateway refuses in a send's category (none beyond the generic rules)."""
        return []

    def check_list_type(self, list_type: object) -> None:
        """Refuse, before any request, a list type this gateway does not have."""
        if list_type not in LIST_TYPES:
            raise SmsValidationError([f"list_type must be one of {', '.join(LIST_TYPES)}, not {list_type!r}"])
        if list_type not in self.list_types:
            raise SmsValidationError(
                [
                    f"{self.hook_name} has no '{list_type}' list (it keeps only: "
                    f"{', '.join(self.list_types)}); nothing was sent"
                ]
            )
