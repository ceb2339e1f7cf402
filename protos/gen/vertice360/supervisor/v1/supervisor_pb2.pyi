import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_AGENT: _ClassVar[Role]
    ROLE_SUPERVISOR: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATUS_UNSPECIFIED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_PENDING: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_SENT: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_READ: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_FAILED: _ClassVar[DeliveryStatus]
ROLE_UNSPECIFIED: Role
ROLE_AGENT: Role
ROLE_SUPERVISOR: Role
ROLE_ADMIN: Role
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DELIVERY_STATUS_PENDING: DeliveryStatus
DELIVERY_STATUS_SENT: DeliveryStatus
DELIVERY_STATUS_DELIVERED: DeliveryStatus
DELIVERY_STATUS_READ: DeliveryStatus
DELIVERY_STATUS_FAILED: DeliveryStatus

class User(_message.Message):
    __slots__ = ("id", "name", "email", "role", "active")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    email: str
    role: Role
    active: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., active: _Optional[bool] = ...) -> None: ...

class UpsertUserRequest(_message.Message):
    __slots__ = ("user", "password")
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user: User
    password: str
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., password: _Optional[str] = ...) -> None: ...

class UpsertUserResponse(_message.Message):
    __slots__ = ("user", "created")
    USER_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    user: User
    created: bool
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("include_inactive",)
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    include_inactive: bool
    def __init__(self, include_inactive: _Optional[bool] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("email", "password")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class Template(_message.Message):
    __slots__ = ("name", "language", "parameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    language: str
    parameters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., language: _Optional[str] = ..., parameters: _Optional[_Iterable[str]] = ...) -> None: ...

class ReplyButton(_message.Message):
    __slots__ = ("id", "title")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class ListRow(_message.Message):
    __slots__ = ("id", "title", "description")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    description: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ReplyList(_message.Message):
    __slots__ = ("button", "section_title", "rows")
    BUTTON_FIELD_NUMBER: _ClassVar[int]
    SECTION_TITLE_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    button: str
    section_title: str
    rows: _containers.RepeatedCompositeFieldContainer[ListRow]
    def __init__(self, button: _Optional[str] = ..., section_title: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[ListRow, _Mapping]]] = ...) -> None: ...

class SendReplyRequest(_message.Message):
    __slots__ = ("ticket_id", "text", "template", "idempotency_key", "buttons", "list", "template_if_window_closed")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    BUTTONS_FIELD_NUMBER: _ClassVar[int]
    LIST_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_IF_WINDOW_CLOSED_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    text: str
    template: Template
    idempotency_key: str
    buttons: _containers.RepeatedCompositeFieldContainer[ReplyButton]
    list: ReplyList
    template_if_window_closed: Template
    def __init__(self, ticket_id: _Optional[str] = ..., text: _Optional[str] = ..., template: _Optional[_Union[Template, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., buttons: _Optional[_Iterable[_Union[ReplyButton, _Mapping]]] = ..., list: _Optional[_Union[ReplyList, _Mapping]] = ..., template_if_window_closed: _Optional[_Union[Template, _Mapping]] = ...) -> None: ...

class OutboundMessage(_message.Message):
    __slots__ = ("id", "ticket_id", "message_id", "text", "status", "provider_message_id", "error_code", "error_title", "attempts", "created_at", "updated_at", "author_user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_TITLE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    ticket_id: str
    message_id: str
    text: str
    status: DeliveryStatus
    provider_message_id: str
    error_code: str
    error_title: str
    attempts: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    author_user_id: str
    def __init__(self, id: _Optional[str] = ..., ticket_id: _Optional[str] = ..., message_id: _Optional[str] = ..., text: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., provider_message_id: _Optional[str] = ..., error_code: _Optional[str] = ..., error_title: _Optional[str] = ..., attempts: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., author_user_id: _Optional[str] = ...) -> None: ...

class SendReplyResponse(_message.Message):
    __slots__ = ("message", "duplicate")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    message: OutboundMessage
    duplicate: bool
    def __init__(self, message: _Optional[_Union[OutboundMessage, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class StatusUpdate(_message.Message):
    __slots__ = ("provider", "provider_message_id", "status", "at", "error_code", "error_title", "raw", "also_message_ids")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_TITLE_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    ALSO_MESSAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    provider: str
    provider_message_id: str
    status: DeliveryStatus
    at: _timestamp_pb2.Timestamp
    error_code: str
    error_title: str
    raw: _struct_pb2.Struct
    also_message_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_code: _Optional[str] = ..., error_title: _Optional[str] = ..., raw: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., also_message_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordDeliveryStatusesRequest(_message.Message):
    __slots__ = ("statuses",)
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedCompositeFieldContainer[StatusUpdate]
    def __init__(self, statuses: _Optional[_Iterable[_Union[StatusUpdate, _Mapping]]] = ...) -> None: ...

class RecordDeliveryStatusesResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class ListOutboundMessagesRequest(_message.Message):
    __slots__ = ("ticket_id",)
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    def __init__(self, ticket_id: _Optional[str] = ...) -> None: ...

class ListOutboundMessagesResponse(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[OutboundMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[OutboundMessage, _Mapping]]] = ...) -> None: ...

class AssignTicketRequest(_message.Message):
    __slots__ = ("ticket_id", "user_id")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    user_id: str
    def __init__(self, ticket_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class AssignTicketResponse(_message.Message):
    __slots__ = ("ticket_id", "assignee_user_id")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    assignee_user_id: str
    def __init__(self, ticket_id: _Optional[str] = ..., assignee_user_id: _Optional[str] = ...) -> None: ...

class EscalateTicketRequest(_message.Message):
    __slots__ = ("ticket_id", "reason")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    reason: str
    def __init__(self, ticket_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EscalateTicketResponse(_message.Message):
    __slots__ = ("ticket_id", "assignee_user_id")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    assignee_user_id: str
    def __init__(self, ticket_id: _Optional[str] = ..., assignee_user_id: _Optional[str] = ...) -> None: ...

class ProviderAccount(_message.Message):
    __slots__ = ("provider", "sender_id", "secret", "app_name", "base_url")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    sender_id: str
    secret: str
    app_name: str
    base_url: str
    def __init__(self, provider: _Optional[str] = ..., sender_id: _Optional[str] = ..., secret: _Optional[str] = ..., app_name: _Optional[str] = ..., base_url: _Optional[str] = ...) -> None: ...

class UpsertProviderAccountRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: ProviderAccount
    def __init__(self, account: _Optional[_Union[ProviderAccount, _Mapping]] = ...) -> None: ...

class UpsertProviderAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: ProviderAccount
    def __init__(self, account: _Optional[_Union[ProviderAccount, _Mapping]] = ...) -> None: ...

class DeliverReply(_message.Message):
    __slots__ = ("outbound_id",)
    OUTBOUND_ID_FIELD_NUMBER: _ClassVar[int]
    outbound_id: str
    def __init__(self, outbound_id: _Optional[str] = ...) -> None: ...

class WatchDeliveriesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchDeliveriesResponse(_message.Message):
    __slots__ = ("ready", "message")
    READY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ready: bool
    message: OutboundMessage
    def __init__(self, ready: _Optional[bool] = ..., message: _Optional[_Union[OutboundMessage, _Mapping]] = ...) -> None: ...

class MessageTemplate(_message.Message):
    __slots__ = ("name", "language", "title", "body", "parameter_count", "active", "updated_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    language: str
    title: str
    body: str
    parameter_count: int
    active: bool
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., language: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., parameter_count: _Optional[int] = ..., active: _Optional[bool] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertTemplateRequest(_message.Message):
    __slots__ = ("template",)
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    template: MessageTemplate
    def __init__(self, template: _Optional[_Union[MessageTemplate, _Mapping]] = ...) -> None: ...

class UpsertTemplateResponse(_message.Message):
    __slots__ = ("template", "created")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    template: MessageTemplate
    created: bool
    def __init__(self, template: _Optional[_Union[MessageTemplate, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListTemplatesRequest(_message.Message):
    __slots__ = ("include_inactive",)
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    include_inactive: bool
    def __init__(self, include_inactive: _Optional[bool] = ...) -> None: ...

class ListTemplatesResponse(_message.Message):
    __slots__ = ("templates",)
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[MessageTemplate]
    def __init__(self, templates: _Optional[_Iterable[_Union[MessageTemplate, _Mapping]]] = ...) -> None: ...
