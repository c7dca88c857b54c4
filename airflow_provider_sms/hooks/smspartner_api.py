"""SMS Partner API v1 on the wire: error codes, delivery states, status requests and replies, and
the connection's own extras. Pure: no I/O. ``docs/vendor-apis.md`` documents each fact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsGatewayError,
    SmsInsufficientCreditError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsRecipientBlacklistedError,
    SmsServerError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.reply_values import (
    count_of,
    field,
    flag_of,
    kind_of,
    message_id_of,
    number_of,
    says_failed,
    text_of,
    unusable,
)
from airflow_provider_sms.hooks.settings import ConnectionSettings, extra_error, parse_flag
from airflow_provider_sms.hooks.transport import Call
from airflow_provider_sms.hooks.webhook_link import WEBHOOK_EXTRAS, parse_webhook_extras
from airflow_provider_sms.model.results import BlacklistEntry, DeliveryStatus

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    from airflow_provider_sms.model.results import DeliveryState

_AUTH, _CREDIT, _INVALID = SmsAuthenticationError, SmsInsufficientCreditError, SmsInvalidRequestError

#: SMS Partner error codes (``docs/vendor-apis.md``, "SMS Partner error codes").
SMSPARTNER_ERROR_CODES: dict[int, tuple[type[SmsGatewayError], str]] = {
    1: (_AUTH, "API key required"),
    2: (_INVALID, "phone number required"),
    3: (_INVALID, "id required"),
    4: (SmsNotFoundError, "not found"),
    5: (_INVALID, "empty list"),
    6: (_INVALID, "bad format"),
    9: (_INVALID, "validation failed"),
    10: (_AUTH, "invalid API key"),
    11: (_CREDIT, "insufficient credit"),
    13: (_INVALID, "no price for these numbers"),
    14: (SmsRecipientBlacklistedError, "number is on the STOP list"),
    15: (_INVALID, "number already in the list"),
    20: (_AUTH, "account deactivated"),
    22: (_INVALID, "marketing SMS only between 08:00 and 22:00"),
    23: (_INVALID, "marketing SMS not on Sundays or public holidays"),
    30: (_AUTH, "account blocked"),
    40: (_AUTH, "API access refused"),
    42: (_INVALID, "Low Cost SMS limited to 160 characters"),
    43: (_INVALID, "message required"),
    44: (_INVALID, "invalid sender"),
    45: (_INVALID, "date required"),
    46: (_INVALID, "hour required"),
    47: (_INVALID, "invalid minute"),
    48: (_INVALID, "minutes must be 0 to 55 in steps of 5"),
    49: (_INVALID, "invalid date"),
    50: (_INVALID, "at most 500 numbers per request"),
    51: (_INVALID, "Low Cost range not available"),
    52: (_INVALID, "at most 10 concatenated SMS"),
    55: (_INVALID, "no number to send to"),
    90: (_INVALID, "malformed JSON"),
    96: (_AUTH, "IP address not allowed"),
    500: (SmsServerError, "could not enqueue the SMS"),
    992: (_AUTH, "sender not authorised on this account"),
}

#: Raw SMS Partner status (lower-cased) -> normalised state.
SMSPARTNER_STATES: dict[str, DeliveryState] = {
    "delivered": "delivered",
    "waiting": "pending",
    "not delivered": "error",
    "ko": "error",
}

MAX_NUMBERS_PER_SEND = 500
MAX_PAIRS_PER_STATUS = 500
#: Longest ``tag`` a send may carry.
MAX_TAG_LENGTH = 20
#: Characters of a request's own suffix in its tag (``<category>-<suffix>``): 32 bits of a digest
#: unique to the request, so no other request shares its tag.
TAG_SUFFIX_LENGTH = 8
#: Longest ``category``: the rest of the tag once ``-`` and the suffix are in.
MAX_CATEGORY_LENGTH = MAX_TAG_LENGTH - 1 - TAG_SUFFIX_LENGTH
#: Most ``bulk-status-by-tag`` pages read for one tag (a request's tag lists at most 500 numbers).
MAX_TAG_PAGES = 100
PARIS = ZoneInfo("Europe/Paris")


_NAME = "SMS Partner"
_LIST = "StatutResponse_List"


def parse_vendor_date(value: Any) -> str | None:
    """Status dates come as epoch seconds (a number or its text) or ``YYYY-mm-dd HH:MM:SS``
    (assumed Paris time); anything else is ``None``."""
    seconds = number_of(value)
    try:
        if seconds is not None:
            return datetime.fromtimestamp(int(seconds), tz=timezone.utc).isoformat()
        text = text_of(value)
        if text is None:
            return None
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PARIS)
        return local.astimezone(timezone.utc).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def vendor_error(http_status: int, payload: Any) -> tuple[int | None, str | None] | None:
    """``(code, text)`` of an error reply, else ``None``: any 4xx/5xx; on 2xx an object that says
    it failed (``success`` false in any spelling, or an error ``code`` without ``success``). The text
    is the ``error`` (or ``errors``) details joined, else ``message``."""
    if not isinstance(payload, Mapping):
        return (None, None) if http_status >= 400 else None
    if http_status < 400 and not says_failed(payload):
        return None
    text, details = field(payload, "message"), field(payload, "error", "errors")
    if isinstance(details, list):
        text = "; ".join(str(field(d, "message") or d) if isinstance(d, Mapping) else str(d) for d in details)
    return count_of(field(payload, "code")), (str(text) if text else None)


def status_from_entry(entry: Any, message_id: str | None, recipient: str | None) -> DeliveryStatus:
    """Normalise one status object (``statut`` in single replies, ``status`` in lists; keys in any
    case, flags in any spelling). An entry with ``success`` false, or that is not an object, is a
    message the gateway does not know (yet)."""
    if not isinstance(entry, Mapping) or flag_of(field(entry, "success")) is False:
        return DeliveryStatus(message_id, recipient, "pending", vendor_state="not_found")
    raw = text_of(field(entry, "statut", "status")) or ""
    state = SMSPARTNER_STATES.get(raw.lower(), "pending")
    if state == "error" and flag_of(field(entry, "stopSms")):
        state = "unsubscribed"
    return DeliveryStatus(
        message_id=message_id,
        recipient=recipient,
        state=state,
        vendor_state=raw or None,
        updated_at=parse_vendor_date(field(entry, "date")),
    )


def _status_list(reply: Any, operation: str) -> list[Any]:
    """The ``StatutResponse_List`` of a status reply.

    :raises SmsServerError: the reply is not an object holding that list.
    """
    if not isinstance(reply, Mapping):
        raise unusable(_NAME, operation, kind_of(reply))
    entries = field(reply, _LIST)
    if not isinstance(entries, list):
        raise unusable(_NAME, operation, f"a JSON object without {_LIST}")
    return entries


def multi_status_call(chunk: Sequence[Mapping[str, Any]]) -> Call:
    """Build one ``/multi-status`` request for up to 500 (number, message id) pairs."""
    pairs = [{"phoneNumber": m["recipient"], "messageId": str(m["message_id"])} for m in chunk]
    return Call("POST", "/v1/multi-status", body={"SMSStatut_List": pairs}, operation="read message statuses")


def parse_multi_status(reply: Any, chunk: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
    """Match a ``/multi-status`` reply back to the requested pairs, in request order (``None``:
    the gateway knows none of them). Ids match whatever their JSON type (``2264102.0`` is
    ``"2264102"``).

    :raises SmsServerError: the reply is not an object with ``StatutResponse_List``.
    """
    found: dict[tuple[str | None, str | None], Any] = {}
    for entry in [] if reply is None else _status_list(reply, "read message statuses"):
        found[(_id_key(field(entry, "messageId")), text_of(field(entry, "phoneNumber")))] = entry
    statuses = []
    for item in chunk:
        message_id, number = str(item["message_id"]), str(item["recipient"])
        entry = found.get((_id_key(message_id), number), {"success": False})
        statuses.append(status_from_entry(entry, message_id, number))
    return statuses


def _id_key(value: Any) -> str | None:
    """A message id as compared between a request and its reply (``2264102.0`` is ``"2264102"``)."""
    return message_id_of(value) or text_of(value)


@dataclass(frozen=True)
class SmsPartnerSettings(ConnectionSettings):
    """SMS Partner connection settings: the generic ones plus ``gamme``, ``sandbox`` and the reply
    webhook's ``webhook_secret`` and ``public_base_url``.

    :param gamme: 1 Premium, 2 Low Cost, ``None`` for the account's default.
    :param sandbox: nothing is really sent nor charged; the gateway still answers.
    """

    known_extras: ClassVar[tuple[str, ...]] = (
        *ConnectionSettings.known_extras,
        "gamme",
        "sandbox",
        *WEBHOOK_EXTRAS,
    )

    gamme: Literal[1, 2] | None = None
    sandbox: bool = False

    @property
    def low_cost(self) -> bool:
        """The Low Cost range: one SMS of at most 160 characters."""
        return self.gamme == 2

    @classmethod
    def parse_extra(cls, extra: Mapping[str, Any], conn_id: str) -> dict[str, Any]:
        raw = extra.get("gamme")
        gamme: Literal[1, 2] | None = None
        if raw not in (None, ""):
            text = str(raw).strip()
            if text in ("1", "1.0"):
                gamme = 1
            elif text in ("2", "2.0"):
                gamme = 2
            else:
                raise extra_error(conn_id, "gamme", f"must be 1 (Premium) or 2 (Low Cost), not {text[:20]!r}")
        return {
            "gamme": gamme,
            "sandbox": parse_flag(extra, "sandbox", conn_id),
            **parse_webhook_extras(extra, conn_id),
        }


def check_pairs(messages: Sequence[Mapping[str, Any]]) -> None:
    missing = [i for i, m in enumerate(messages) if not m.get("message_id") or not m.get("recipient")]
    if missing:
        raise SmsValidationError(
            [
                f"SMS Partner needs both message_id and recipient for each message; entries {missing[:10]} lack one"
            ]
        )


#: Message id prefix of a result known only by its request's tag (a send whose reply was lost and
#: that reconciliation found under its tag): ``"tag:<tag>"``.
TAG_ID_PREFIX = "tag:"


def request_tag(category: str | None, unique: str) -> str:
    """The tag of one send request: ``unique`` alone, or ``<category>-<the end of unique>``
    (:data:`MAX_TAG_LENGTH` characters at most).

    :raises SmsValidationError: the category leaves less than :data:`TAG_SUFFIX_LENGTH` characters
        (validation refuses such a category before any request).
    """
    if not category:
        return unique[:MAX_TAG_LENGTH]
    room = MAX_TAG_LENGTH - 1 - len(category)
    if room < TAG_SUFFIX_LENGTH:
        raise SmsValidationError([category_length_problem(category)])
    return f"{category}-{unique[-room:]}"


def category_length_problem(category: str) -> str:
    """Why ``category`` is too long to be part of a request's tag."""
    return (
        f"category is too long for SMS Partner: {len(category)} characters, at most "
        f"{MAX_CATEGORY_LENGTH} (its tag holds {MAX_TAG_LENGTH}: the category, '-' and "
        f"{TAG_SUFFIX_LENGTH} characters of the request's own, which settle a lost reply)"
    )


_READ_TAG = "read the statuses of a tag"


def by_tag_call(tag: str, page: int = 1) -> Call:
    """Build one ``/bulk-status-by-tag`` request: page ``page`` of the numbers sent under ``tag``."""
    params: dict[str, Any] = {"tag": tag} if page == 1 else {"tag": tag, "page": page}
    return Call("GET", "/v1/bulk-status-by-tag", params=params, operation=_READ_TAG)


def by_tag_steps(tag: str) -> Generator[Call, Any, list[DeliveryStatus]]:
    """Read every page of a tag (A47): yield each page's call, receive its reply (``None``:
    nothing under the tag), return the statuses once ``total`` entries are in (a reply without
    ``total`` is taken whole).

    :raises SmsServerError: a page came back empty, or :data:`MAX_TAG_PAGES` were read, before
        ``total`` entries (an incomplete list would make an accepted number look absent).
    """
    statuses: list[DeliveryStatus] = []
    for page in range(1, MAX_TAG_PAGES + 1):
        reply = yield by_tag_call(tag, page)
        if reply is None:  # code 4: nothing was sent under this tag
            return statuses
        entries = parse_by_tag(reply, tag)
        if count_of(field(reply, "currentPage")) not in (None, page):
            entries = []  # another page than the one asked for: the pages do not go on
        statuses.extend(entries)
        total = count_of(field(reply, "total"))
        if total is None or len(statuses) >= total:
            return statuses
        if not entries:
            break
    raise unusable(_NAME, _READ_TAG, f"short of its total after {page} page(s)")


def parse_by_tag(reply: Any, tag: str) -> list[DeliveryStatus]:
    """Statuses listed under ``tag`` (``None``: nothing was sent under it), message id ``tag:<tag>``.

    :raises SmsServerError: the reply is not an object with ``StatutResponse_List`` (reading it
        as "nothing under this tag" would have a lost send sent again).
    """
    if reply is None:
        return []
    statuses = []
    for entry in _status_list(reply, _READ_TAG):
        number = text_of(field(entry, "phoneNumber"))
        if number:
            statuses.append(status_from_entry(entry, TAG_ID_PREFIX + tag, number))
    return statuses


@dataclass(frozen=True)
class StatusPlan:
    """The requests that answer a list of (message id, number) pairs, and how to read them back.

    Pairs go to ``/multi-status`` 500 at a time (:attr:`calls`); pairs whose id is ``tag:<tag>``
    are read with ``/bulk-status-by-tag``, every page of each tag (:attr:`tags`,
    :func:`by_tag_steps`). Sync and async hooks run the same plan.
    """

    messages: tuple[Mapping[str, Any], ...]
    chunks: tuple[tuple[Mapping[str, Any], ...], ...]
    tags: tuple[str, ...]

    @classmethod
    def for_messages(cls, messages: Sequence[Mapping[str, Any]]) -> StatusPlan:
        check_pairs(messages)
        plain = [m for m in messages if not str(m["message_id"]).startswith(TAG_ID_PREFIX)]
        tags = dict.fromkeys(str(m["message_id"])[len(TAG_ID_PREFIX) :] for m in messages if m not in plain)
        chunks = tuple(
            tuple(plain[i : i + MAX_PAIRS_PER_STATUS]) for i in range(0, len(plain), MAX_PAIRS_PER_STATUS)
        )
        return cls(tuple(messages), chunks, tuple(tags))

    @property
    def calls(self) -> list[Call]:
        """The multi-status requests of the plan (the tags are read with :func:`by_tag_steps`)."""
        return [multi_status_call(c) for c in self.chunks]

    def assemble(
        self, replies: Sequence[Any], tagged: Sequence[Sequence[DeliveryStatus]] = ()
    ) -> list[DeliveryStatus]:
        """Statuses in input order from the replies of :attr:`calls` (``None``: nothing found) and
        the statuses listed under each of :attr:`tags`."""
        found: dict[tuple[str, str], DeliveryStatus] = {}
        for chunk, reply in zip(self.chunks, replies, strict=True):
            for status in parse_multi_status(reply, chunk):
                found[(str(status.message_id), str(status.recipient))] = status
        for listed in tagged:
            for status in listed:
                found[(str(status.message_id), str(status.recipient))] = status
        statuses = []
        for message in self.messages:
            key = (str(message["message_id"]), str(message["recipient"]))
            statuses.append(
                found.get(key) or DeliveryStatus(key[0], key[1], "pending", vendor_state="not_found")
            )
        return statuses


#: The code of an entry refused because its number is on the STOP list.
STOP_LISTED = 14


def bulk_send_call(numbers: Sequence[str], texts: Sequence[str], body: Mapping[str, Any]) -> Call:
    """``POST /v1/bulk-send``: each number its own text, the request's options in ``body``."""
    entries = [{"phoneNumber": number, "message": text} for number, text in zip(numbers, texts, strict=True)]
    return Call(
        "POST",
        "/v1/bulk-send",
        body={**body, "SMSList": entries},
        idempotent=False,
        operation=f"send {len(entries)} SMS of their own",
    )


@dataclass(frozen=True)
class BulkEntry:
    """One ``SMSResponse_List`` entry: accepted (with what it cost) or refused (with its code)."""

    accepted: bool
    code: int | None = None
    vendor_message: str | None = None
    cost: float | None = None
    segments: int | None = None


def bulk_entries(reply: Any, count: int) -> list[BulkEntry] | None:
    """The ``SMSResponse_List`` of a ``/bulk-send`` acceptance, one entry per message in request
    order (A54); ``None`` when it is not one readable entry per message (a list of another
    length, an entry whose ``success`` is neither true nor false)."""
    items = field(reply, "SMSResponse_List")
    if not isinstance(items, list) or len(items) != count:
        return None
    entries = []
    alike: dict[tuple[Any, ...], BulkEntry] = {}  # accepted entries mostly read the same
    for item in items:
        shape = _accepted_shape(item)
        entry = alike.get(shape) if shape is not None else None
        if entry is None:
            entry = _bulk_entry(item)
            if entry is None:
                return None
            if shape is not None:
                alike[shape] = entry
        entries.append(entry)
    return entries


#: The keys of an accepted entry as the vendor's sample spells them (its number is not read).
_ACCEPTED_KEYS = frozenset({"success", "code", "nbSms", "cost", "phoneNumber"})


def _accepted_shape(item: Any) -> tuple[Any, ...] | None:
    """What an entry spelled like the vendor's sample says, as a key for entries that read the
    same; ``None`` for any other entry (read on its own)."""
    if type(item) is not dict or not _ACCEPTED_KEYS.issuperset(item):
        return None
    values = (item.get("success"), item.get("code"), item.get("nbSms"), item.get("cost"))
    shape = (*values, *map(type, values))  # types too: True == 1, yet they read differently
    try:
        hash(shape)
    except TypeError:  # a list or an object where a value should be
        return None
    return shape


def _bulk_entry(item: Any) -> BulkEntry | None:
    """One entry read (``None``: its ``success`` is neither true nor false)."""
    success = flag_of(field(item, "success"))
    if success is None:
        return None
    return BulkEntry(
        accepted=success,
        code=count_of(field(item, "code")),
        vendor_message=None if success else text_of(field(item, "message")),  # a refusal's own
        cost=number_of(field(item, "cost")),
        segments=count_of(field(item, "nbSms", "nb_sms")),
    )


def stop_list_call() -> Call:
    """``GET /v1/stop-sms/list``: the whole STOP list (not paginated, A30)."""
    return Call("GET", "/v1/stop-sms/list", operation="read the STOP list")


def parse_stop_list(reply: Any) -> list[BlacklistEntry]:
    """The entries of a ``/stop-sms/list`` reply (entries without an id or a number are left out).

    :raises SmsServerError: the reply is not an object with a ``data`` list.
    """
    if not isinstance(reply, Mapping):
        raise unusable(_NAME, "read the STOP list", kind_of(reply))
    data = field(reply, "data")
    if not isinstance(data, list):
        raise unusable(_NAME, "read the STOP list", "a JSON object without a data list")
    entries = []
    for item in data:
        entry_id, number = text_of(field(item, "id")), text_of(field(item, "phoneNumber"))
        if entry_id and number:
            entries.append(BlacklistEntry(id=entry_id, recipient=number))
    return entries
