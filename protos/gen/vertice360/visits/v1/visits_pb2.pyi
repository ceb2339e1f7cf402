import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProposalStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROPOSAL_STATUS_UNSPECIFIED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_PROPOSED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_CONFIRMED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_RESCHEDULED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_CANCELLED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_EXPIRED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_ATTENDED: _ClassVar[ProposalStatus]
    PROPOSAL_STATUS_NO_SHOW: _ClassVar[ProposalStatus]

class VisitOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIT_OUTCOME_UNSPECIFIED: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_ATTENDED: _ClassVar[VisitOutcome]
    VISIT_OUTCOME_NO_SHOW: _ClassVar[VisitOutcome]
PROPOSAL_STATUS_UNSPECIFIED: ProposalStatus
PROPOSAL_STATUS_PROPOSED: ProposalStatus
PROPOSAL_STATUS_CONFIRMED: ProposalStatus
PROPOSAL_STATUS_RESCHEDULED: ProposalStatus
PROPOSAL_STATUS_CANCELLED: ProposalStatus
PROPOSAL_STATUS_EXPIRED: ProposalStatus
PROPOSAL_STATUS_ATTENDED: ProposalStatus
PROPOSAL_STATUS_NO_SHOW: ProposalStatus
VISIT_OUTCOME_UNSPECIFIED: VisitOutcome
VISIT_OUTCOME_ATTENDED: VisitOutcome
VISIT_OUTCOME_NO_SHOW: VisitOutcome

class VisitProposal(_message.Message):
    __slots__ = ("id", "ticket_id", "agent_user_id", "starts_at", "duration_minutes", "status", "replaces_proposal_id", "message_to_lead", "created_at", "project_code")
    ID_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REPLACES_PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TO_LEAD_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    ticket_id: str
    agent_user_id: str
    starts_at: _timestamp_pb2.Timestamp
    duration_minutes: int
    status: ProposalStatus
    replaces_proposal_id: str
    message_to_lead: str
    created_at: _timestamp_pb2.Timestamp
    project_code: str
    def __init__(self, id: _Optional[str] = ..., ticket_id: _Optional[str] = ..., agent_user_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_minutes: _Optional[int] = ..., status: _Optional[_Union[ProposalStatus, str]] = ..., replaces_proposal_id: _Optional[str] = ..., message_to_lead: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., project_code: _Optional[str] = ...) -> None: ...

class VisitConfirmation(_message.Message):
    __slots__ = ("id", "proposal_id", "confirmed_by", "channel", "confirmed_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_BY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    proposal_id: str
    confirmed_by: str
    channel: str
    confirmed_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., proposal_id: _Optional[str] = ..., confirmed_by: _Optional[str] = ..., channel: _Optional[str] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProposeVisitRequest(_message.Message):
    __slots__ = ("ticket_id", "agent_user_id", "starts_at", "duration_minutes", "message_to_lead", "project_code")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TO_LEAD_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    agent_user_id: str
    starts_at: _timestamp_pb2.Timestamp
    duration_minutes: int
    message_to_lead: str
    project_code: str
    def __init__(self, ticket_id: _Optional[str] = ..., agent_user_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_minutes: _Optional[int] = ..., message_to_lead: _Optional[str] = ..., project_code: _Optional[str] = ...) -> None: ...

class ProposeVisitResponse(_message.Message):
    __slots__ = ("proposal", "ticket_stage")
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    proposal: VisitProposal
    ticket_stage: str
    def __init__(self, proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., ticket_stage: _Optional[str] = ...) -> None: ...

class ConfirmVisitRequest(_message.Message):
    __slots__ = ("proposal_id", "ticket_id", "channel")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    ticket_id: str
    channel: str
    def __init__(self, proposal_id: _Optional[str] = ..., ticket_id: _Optional[str] = ..., channel: _Optional[str] = ...) -> None: ...

class ConfirmVisitResponse(_message.Message):
    __slots__ = ("proposal", "confirmation", "ticket_stage")
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    proposal: VisitProposal
    confirmation: VisitConfirmation
    ticket_stage: str
    def __init__(self, proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., confirmation: _Optional[_Union[VisitConfirmation, _Mapping]] = ..., ticket_stage: _Optional[str] = ...) -> None: ...

class RescheduleVisitRequest(_message.Message):
    __slots__ = ("proposal_id", "starts_at", "duration_minutes", "message_to_lead")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TO_LEAD_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    starts_at: _timestamp_pb2.Timestamp
    duration_minutes: int
    message_to_lead: str
    def __init__(self, proposal_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_minutes: _Optional[int] = ..., message_to_lead: _Optional[str] = ...) -> None: ...

class RescheduleVisitResponse(_message.Message):
    __slots__ = ("proposal", "replaced", "ticket_stage")
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    proposal: VisitProposal
    replaced: VisitProposal
    ticket_stage: str
    def __init__(self, proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., replaced: _Optional[_Union[VisitProposal, _Mapping]] = ..., ticket_stage: _Optional[str] = ...) -> None: ...

class CancelVisitRequest(_message.Message):
    __slots__ = ("proposal_id", "reason")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    reason: str
    def __init__(self, proposal_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelVisitResponse(_message.Message):
    __slots__ = ("proposal", "ticket_stage")
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    proposal: VisitProposal
    ticket_stage: str
    def __init__(self, proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., ticket_stage: _Optional[str] = ...) -> None: ...

class ListVisitsRequest(_message.Message):
    __slots__ = ("ticket_id",)
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    def __init__(self, ticket_id: _Optional[str] = ...) -> None: ...

class ListVisitsResponse(_message.Message):
    __slots__ = ("proposals", "confirmations", "lead_no_shows")
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    LEAD_NO_SHOWS_FIELD_NUMBER: _ClassVar[int]
    proposals: _containers.RepeatedCompositeFieldContainer[VisitProposal]
    confirmations: _containers.RepeatedCompositeFieldContainer[VisitConfirmation]
    lead_no_shows: int
    def __init__(self, proposals: _Optional[_Iterable[_Union[VisitProposal, _Mapping]]] = ..., confirmations: _Optional[_Iterable[_Union[VisitConfirmation, _Mapping]]] = ..., lead_no_shows: _Optional[int] = ...) -> None: ...

class HandleLeadReplyRequest(_message.Message):
    __slots__ = ("ticket_id", "reply_id", "message_id")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    reply_id: str
    message_id: str
    def __init__(self, ticket_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class HandleLeadReplyResponse(_message.Message):
    __slots__ = ("handled", "proposal", "ticket_stage", "outcome")
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    handled: bool
    proposal: VisitProposal
    ticket_stage: str
    outcome: str
    def __init__(self, handled: _Optional[bool] = ..., proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., ticket_stage: _Optional[str] = ..., outcome: _Optional[str] = ...) -> None: ...

class OfferSlotsRequest(_message.Message):
    __slots__ = ("ticket_id", "agent_user_id", "project_code")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    agent_user_id: str
    project_code: str
    def __init__(self, ticket_id: _Optional[str] = ..., agent_user_id: _Optional[str] = ..., project_code: _Optional[str] = ...) -> None: ...

class OfferedSlot(_message.Message):
    __slots__ = ("slot", "row_id")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    ROW_ID_FIELD_NUMBER: _ClassVar[int]
    slot: Slot
    row_id: str
    def __init__(self, slot: _Optional[_Union[Slot, _Mapping]] = ..., row_id: _Optional[str] = ...) -> None: ...

class OfferSlotsResponse(_message.Message):
    __slots__ = ("offer_id", "project_code", "slots")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    project_code: str
    slots: _containers.RepeatedCompositeFieldContainer[OfferedSlot]
    def __init__(self, offer_id: _Optional[str] = ..., project_code: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[OfferedSlot, _Mapping]]] = ...) -> None: ...

class WorkingHours(_message.Message):
    __slots__ = ("weekday", "start", "end")
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    weekday: int
    start: str
    end: str
    def __init__(self, weekday: _Optional[int] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class TimeOff(_message.Message):
    __slots__ = ("id", "agent_user_id", "starts_at", "ends_at", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    agent_user_id: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, id: _Optional[str] = ..., agent_user_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class SetWorkingHoursRequest(_message.Message):
    __slots__ = ("agent_user_id", "hours")
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    agent_user_id: str
    hours: _containers.RepeatedCompositeFieldContainer[WorkingHours]
    def __init__(self, agent_user_id: _Optional[str] = ..., hours: _Optional[_Iterable[_Union[WorkingHours, _Mapping]]] = ...) -> None: ...

class SetWorkingHoursResponse(_message.Message):
    __slots__ = ("hours",)
    HOURS_FIELD_NUMBER: _ClassVar[int]
    hours: _containers.RepeatedCompositeFieldContainer[WorkingHours]
    def __init__(self, hours: _Optional[_Iterable[_Union[WorkingHours, _Mapping]]] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("agent_user_id",)
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    agent_user_id: str
    def __init__(self, agent_user_id: _Optional[str] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("hours", "time_off", "timezone")
    HOURS_FIELD_NUMBER: _ClassVar[int]
    TIME_OFF_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    hours: _containers.RepeatedCompositeFieldContainer[WorkingHours]
    time_off: _containers.RepeatedCompositeFieldContainer[TimeOff]
    timezone: str
    def __init__(self, hours: _Optional[_Iterable[_Union[WorkingHours, _Mapping]]] = ..., time_off: _Optional[_Iterable[_Union[TimeOff, _Mapping]]] = ..., timezone: _Optional[str] = ...) -> None: ...

class AddTimeOffRequest(_message.Message):
    __slots__ = ("time_off",)
    TIME_OFF_FIELD_NUMBER: _ClassVar[int]
    time_off: TimeOff
    def __init__(self, time_off: _Optional[_Union[TimeOff, _Mapping]] = ...) -> None: ...

class AddTimeOffResponse(_message.Message):
    __slots__ = ("time_off",)
    TIME_OFF_FIELD_NUMBER: _ClassVar[int]
    time_off: TimeOff
    def __init__(self, time_off: _Optional[_Union[TimeOff, _Mapping]] = ...) -> None: ...

class DeleteTimeOffRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteTimeOffResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ProjectSettings(_message.Message):
    __slots__ = ("project_code", "visit_minutes", "buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes", "horizon_days", "slot_step_minutes", "agent_user_ids")
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    VISIT_MINUTES_FIELD_NUMBER: _ClassVar[int]
    BUFFER_BEFORE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    BUFFER_AFTER_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MIN_NOTICE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    HORIZON_DAYS_FIELD_NUMBER: _ClassVar[int]
    SLOT_STEP_MINUTES_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_IDS_FIELD_NUMBER: _ClassVar[int]
    project_code: str
    visit_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    horizon_days: int
    slot_step_minutes: int
    agent_user_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_code: _Optional[str] = ..., visit_minutes: _Optional[int] = ..., buffer_before_minutes: _Optional[int] = ..., buffer_after_minutes: _Optional[int] = ..., min_notice_minutes: _Optional[int] = ..., horizon_days: _Optional[int] = ..., slot_step_minutes: _Optional[int] = ..., agent_user_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SetProjectSettingsRequest(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: ProjectSettings
    def __init__(self, settings: _Optional[_Union[ProjectSettings, _Mapping]] = ...) -> None: ...

class SetProjectSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: ProjectSettings
    def __init__(self, settings: _Optional[_Union[ProjectSettings, _Mapping]] = ...) -> None: ...

class GetProjectSettingsRequest(_message.Message):
    __slots__ = ("project_code",)
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    project_code: str
    def __init__(self, project_code: _Optional[str] = ...) -> None: ...

class GetProjectSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: ProjectSettings
    def __init__(self, settings: _Optional[_Union[ProjectSettings, _Mapping]] = ...) -> None: ...

class Slot(_message.Message):
    __slots__ = ("starts_at", "ends_at", "agent_user_id", "agent_name")
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    agent_user_id: str
    agent_name: str
    def __init__(self, starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_user_id: _Optional[str] = ..., agent_name: _Optional[str] = ...) -> None: ...

class ListSlotsRequest(_message.Message):
    __slots__ = ("project_code", "agent_user_id", "to", "limit")
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    project_code: str
    agent_user_id: str
    to: _timestamp_pb2.Timestamp
    limit: int
    def __init__(self, project_code: _Optional[str] = ..., agent_user_id: _Optional[str] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., **kwargs) -> None: ...

class ListSlotsResponse(_message.Message):
    __slots__ = ("slots", "timezone")
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    slots: _containers.RepeatedCompositeFieldContainer[Slot]
    timezone: str
    def __init__(self, slots: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ..., timezone: _Optional[str] = ...) -> None: ...

class IssueCalendarTokenRequest(_message.Message):
    __slots__ = ("agent_user_id",)
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    agent_user_id: str
    def __init__(self, agent_user_id: _Optional[str] = ...) -> None: ...

class IssueCalendarTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class RevokeCalendarTokenRequest(_message.Message):
    __slots__ = ("agent_user_id",)
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    agent_user_id: str
    def __init__(self, agent_user_id: _Optional[str] = ...) -> None: ...

class RevokeCalendarTokenResponse(_message.Message):
    __slots__ = ("revoked",)
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    revoked: bool
    def __init__(self, revoked: _Optional[bool] = ...) -> None: ...

class GetCalendarFeedRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class GetCalendarFeedResponse(_message.Message):
    __slots__ = ("ical",)
    ICAL_FIELD_NUMBER: _ClassVar[int]
    ical: str
    def __init__(self, ical: _Optional[str] = ...) -> None: ...

class OfferTask(_message.Message):
    __slots__ = ("ticket_id", "project_code", "intro", "source_key")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    INTRO_FIELD_NUMBER: _ClassVar[int]
    SOURCE_KEY_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    project_code: str
    intro: str
    source_key: str
    def __init__(self, ticket_id: _Optional[str] = ..., project_code: _Optional[str] = ..., intro: _Optional[str] = ..., source_key: _Optional[str] = ...) -> None: ...

class RecordOutcomeRequest(_message.Message):
    __slots__ = ("proposal_id", "outcome", "offer_slots")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    OFFER_SLOTS_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    outcome: VisitOutcome
    offer_slots: bool
    def __init__(self, proposal_id: _Optional[str] = ..., outcome: _Optional[_Union[VisitOutcome, str]] = ..., offer_slots: _Optional[bool] = ...) -> None: ...

class RecordOutcomeResponse(_message.Message):
    __slots__ = ("proposal", "ticket_stage", "lead_no_shows", "offer", "offer_error")
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    LEAD_NO_SHOWS_FIELD_NUMBER: _ClassVar[int]
    OFFER_FIELD_NUMBER: _ClassVar[int]
    OFFER_ERROR_FIELD_NUMBER: _ClassVar[int]
    proposal: VisitProposal
    ticket_stage: str
    lead_no_shows: int
    offer: OfferSlotsResponse
    offer_error: str
    def __init__(self, proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., ticket_stage: _Optional[str] = ..., lead_no_shows: _Optional[int] = ..., offer: _Optional[_Union[OfferSlotsResponse, _Mapping]] = ..., offer_error: _Optional[str] = ...) -> None: ...

class VisitSettings(_message.Message):
    __slots__ = ("language", "reminder_offsets_minutes", "reminder_template", "reminder_template_language")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    REMINDER_OFFSETS_MINUTES_FIELD_NUMBER: _ClassVar[int]
    REMINDER_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    REMINDER_TEMPLATE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    language: str
    reminder_offsets_minutes: _containers.RepeatedScalarFieldContainer[int]
    reminder_template: str
    reminder_template_language: str
    def __init__(self, language: _Optional[str] = ..., reminder_offsets_minutes: _Optional[_Iterable[int]] = ..., reminder_template: _Optional[str] = ..., reminder_template_language: _Optional[str] = ...) -> None: ...

class GetVisitSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetVisitSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: VisitSettings
    def __init__(self, settings: _Optional[_Union[VisitSettings, _Mapping]] = ...) -> None: ...

class SetVisitSettingsRequest(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: VisitSettings
    def __init__(self, settings: _Optional[_Union[VisitSettings, _Mapping]] = ...) -> None: ...

class SetVisitSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: VisitSettings
    def __init__(self, settings: _Optional[_Union[VisitSettings, _Mapping]] = ...) -> None: ...

class ReminderTask(_message.Message):
    __slots__ = ("proposal_id", "minutes_before", "starts_at")
    PROPOSAL_ID_FIELD_NUMBER: _ClassVar[int]
    MINUTES_BEFORE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    proposal_id: str
    minutes_before: int
    starts_at: _timestamp_pb2.Timestamp
    def __init__(self, proposal_id: _Optional[str] = ..., minutes_before: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
