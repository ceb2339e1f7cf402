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
PROPOSAL_STATUS_UNSPECIFIED: ProposalStatus
PROPOSAL_STATUS_PROPOSED: ProposalStatus
PROPOSAL_STATUS_CONFIRMED: ProposalStatus
PROPOSAL_STATUS_RESCHEDULED: ProposalStatus
PROPOSAL_STATUS_CANCELLED: ProposalStatus
PROPOSAL_STATUS_EXPIRED: ProposalStatus

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
    __slots__ = ("proposals", "confirmations")
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    proposals: _containers.RepeatedCompositeFieldContainer[VisitProposal]
    confirmations: _containers.RepeatedCompositeFieldContainer[VisitConfirmation]
    def __init__(self, proposals: _Optional[_Iterable[_Union[VisitProposal, _Mapping]]] = ..., confirmations: _Optional[_Iterable[_Union[VisitConfirmation, _Mapping]]] = ...) -> None: ...

class HandleLeadReplyRequest(_message.Message):
    __slots__ = ("ticket_id", "reply_id")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    reply_id: str
    def __init__(self, ticket_id: _Optional[str] = ..., reply_id: _Optional[str] = ...) -> None: ...

class HandleLeadReplyResponse(_message.Message):
    __slots__ = ("handled", "proposal", "ticket_stage")
    HANDLED_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    TICKET_STAGE_FIELD_NUMBER: _ClassVar[int]
    handled: bool
    proposal: VisitProposal
    ticket_stage: str
    def __init__(self, handled: _Optional[bool] = ..., proposal: _Optional[_Union[VisitProposal, _Mapping]] = ..., ticket_stage: _Optional[str] = ...) -> None: ...
