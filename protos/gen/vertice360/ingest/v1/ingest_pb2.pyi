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

class Provider(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVIDER_UNSPECIFIED: _ClassVar[Provider]
    PROVIDER_META: _ClassVar[Provider]
    PROVIDER_GUPSHUP: _ClassVar[Provider]
    PROVIDER_MANUAL: _ClassVar[Provider]

class MessageType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_TYPE_UNSPECIFIED: _ClassVar[MessageType]
    MESSAGE_TYPE_TEXT: _ClassVar[MessageType]
    MESSAGE_TYPE_IMAGE: _ClassVar[MessageType]
    MESSAGE_TYPE_AUDIO: _ClassVar[MessageType]
    MESSAGE_TYPE_VOICE: _ClassVar[MessageType]
    MESSAGE_TYPE_VIDEO: _ClassVar[MessageType]
    MESSAGE_TYPE_DOCUMENT: _ClassVar[MessageType]
    MESSAGE_TYPE_STICKER: _ClassVar[MessageType]
    MESSAGE_TYPE_LOCATION: _ClassVar[MessageType]
    MESSAGE_TYPE_CONTACTS: _ClassVar[MessageType]
    MESSAGE_TYPE_BUTTON_REPLY: _ClassVar[MessageType]
    MESSAGE_TYPE_LIST_REPLY: _ClassVar[MessageType]
    MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY: _ClassVar[MessageType]
    MESSAGE_TYPE_REACTION: _ClassVar[MessageType]
    MESSAGE_TYPE_USER_CHANGED_NUMBER: _ClassVar[MessageType]
    MESSAGE_TYPE_UNSUPPORTED: _ClassVar[MessageType]
    MESSAGE_TYPE_ORDER: _ClassVar[MessageType]
    MESSAGE_TYPE_FLOW_REPLY: _ClassVar[MessageType]
    MESSAGE_TYPE_SYSTEM: _ClassVar[MessageType]
    MESSAGE_TYPE_WELCOME_REQUEST: _ClassVar[MessageType]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_IN: _ClassVar[Direction]
    DIRECTION_OUT: _ClassVar[Direction]

class Actor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_UNSPECIFIED: _ClassVar[Actor]
    ACTOR_LEAD: _ClassVar[Actor]
    ACTOR_AGENT: _ClassVar[Actor]
    ACTOR_SUPERVISOR: _ClassVar[Actor]
    ACTOR_SYSTEM: _ClassVar[Actor]

class WindowFilter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WINDOW_FILTER_UNSPECIFIED: _ClassVar[WindowFilter]
    WINDOW_FILTER_OPEN: _ClassVar[WindowFilter]
    WINDOW_FILTER_CLOSED: _ClassVar[WindowFilter]

class TicketOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TICKET_ORDER_UNSPECIFIED: _ClassVar[TicketOrder]
    TICKET_ORDER_WAITING: _ClassVar[TicketOrder]

class TicketOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TICKET_OUTCOME_UNSPECIFIED: _ClassVar[TicketOutcome]
    TICKET_OUTCOME_VISIT_DONE: _ClassVar[TicketOutcome]
    TICKET_OUTCOME_WON: _ClassVar[TicketOutcome]
    TICKET_OUTCOME_LOST: _ClassVar[TicketOutcome]
PROVIDER_UNSPECIFIED: Provider
PROVIDER_META: Provider
PROVIDER_GUPSHUP: Provider
PROVIDER_MANUAL: Provider
MESSAGE_TYPE_UNSPECIFIED: MessageType
MESSAGE_TYPE_TEXT: MessageType
MESSAGE_TYPE_IMAGE: MessageType
MESSAGE_TYPE_AUDIO: MessageType
MESSAGE_TYPE_VOICE: MessageType
MESSAGE_TYPE_VIDEO: MessageType
MESSAGE_TYPE_DOCUMENT: MessageType
MESSAGE_TYPE_STICKER: MessageType
MESSAGE_TYPE_LOCATION: MessageType
MESSAGE_TYPE_CONTACTS: MessageType
MESSAGE_TYPE_BUTTON_REPLY: MessageType
MESSAGE_TYPE_LIST_REPLY: MessageType
MESSAGE_TYPE_TEMPLATE_BUTTON_REPLY: MessageType
MESSAGE_TYPE_REACTION: MessageType
MESSAGE_TYPE_USER_CHANGED_NUMBER: MessageType
MESSAGE_TYPE_UNSUPPORTED: MessageType
MESSAGE_TYPE_ORDER: MessageType
MESSAGE_TYPE_FLOW_REPLY: MessageType
MESSAGE_TYPE_SYSTEM: MessageType
MESSAGE_TYPE_WELCOME_REQUEST: MessageType
DIRECTION_UNSPECIFIED: Direction
DIRECTION_IN: Direction
DIRECTION_OUT: Direction
ACTOR_UNSPECIFIED: Actor
ACTOR_LEAD: Actor
ACTOR_AGENT: Actor
ACTOR_SUPERVISOR: Actor
ACTOR_SYSTEM: Actor
WINDOW_FILTER_UNSPECIFIED: WindowFilter
WINDOW_FILTER_OPEN: WindowFilter
WINDOW_FILTER_CLOSED: WindowFilter
TICKET_ORDER_UNSPECIFIED: TicketOrder
TICKET_ORDER_WAITING: TicketOrder
TICKET_OUTCOME_UNSPECIFIED: TicketOutcome
TICKET_OUTCOME_VISIT_DONE: TicketOutcome
TICKET_OUTCOME_WON: TicketOutcome
TICKET_OUTCOME_LOST: TicketOutcome

class Tenant(_message.Message):
    __slots__ = ("slug", "name", "region", "timezone", "meta_phone_number_id", "gupshup_app", "meta_app_secret", "meta_verify_token", "gupshup_token")
    SLUG_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    META_PHONE_NUMBER_ID_FIELD_NUMBER: _ClassVar[int]
    GUPSHUP_APP_FIELD_NUMBER: _ClassVar[int]
    META_APP_SECRET_FIELD_NUMBER: _ClassVar[int]
    META_VERIFY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    GUPSHUP_TOKEN_FIELD_NUMBER: _ClassVar[int]
    slug: str
    name: str
    region: str
    timezone: str
    meta_phone_number_id: str
    gupshup_app: str
    meta_app_secret: str
    meta_verify_token: str
    gupshup_token: str
    def __init__(self, slug: _Optional[str] = ..., name: _Optional[str] = ..., region: _Optional[str] = ..., timezone: _Optional[str] = ..., meta_phone_number_id: _Optional[str] = ..., gupshup_app: _Optional[str] = ..., meta_app_secret: _Optional[str] = ..., meta_verify_token: _Optional[str] = ..., gupshup_token: _Optional[str] = ...) -> None: ...

class UpsertTenantRequest(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: Tenant
    def __init__(self, tenant: _Optional[_Union[Tenant, _Mapping]] = ...) -> None: ...

class UpsertTenantResponse(_message.Message):
    __slots__ = ("tenant", "created")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    tenant: Tenant
    created: bool
    def __init__(self, tenant: _Optional[_Union[Tenant, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetTenantRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTenantResponse(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: Tenant
    def __init__(self, tenant: _Optional[_Union[Tenant, _Mapping]] = ...) -> None: ...

class ListTenantsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTenantsResponse(_message.Message):
    __slots__ = ("tenants",)
    TENANTS_FIELD_NUMBER: _ClassVar[int]
    tenants: _containers.RepeatedCompositeFieldContainer[Tenant]
    def __init__(self, tenants: _Optional[_Iterable[_Union[Tenant, _Mapping]]] = ...) -> None: ...

class ResolveChannelRequest(_message.Message):
    __slots__ = ("meta_phone_number_id", "gupshup_app", "gupshup_token", "meta_verify_token")
    META_PHONE_NUMBER_ID_FIELD_NUMBER: _ClassVar[int]
    GUPSHUP_APP_FIELD_NUMBER: _ClassVar[int]
    GUPSHUP_TOKEN_FIELD_NUMBER: _ClassVar[int]
    META_VERIFY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    meta_phone_number_id: str
    gupshup_app: str
    gupshup_token: str
    meta_verify_token: str
    def __init__(self, meta_phone_number_id: _Optional[str] = ..., gupshup_app: _Optional[str] = ..., gupshup_token: _Optional[str] = ..., meta_verify_token: _Optional[str] = ...) -> None: ...

class ResolveChannelResponse(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: Tenant
    def __init__(self, tenant: _Optional[_Union[Tenant, _Mapping]] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("id", "code", "name", "location")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    code: str
    name: str
    location: str
    def __init__(self, id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., location: _Optional[str] = ...) -> None: ...

class MarketingAsset(_message.Message):
    __slots__ = ("id", "code", "name", "keyword", "project_code", "channel", "ad_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    AD_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    code: str
    name: str
    keyword: str
    project_code: str
    channel: str
    ad_id: str
    def __init__(self, id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., keyword: _Optional[str] = ..., project_code: _Optional[str] = ..., channel: _Optional[str] = ..., ad_id: _Optional[str] = ...) -> None: ...

class UpsertProjectRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class UpsertProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class UpsertMarketingAssetRequest(_message.Message):
    __slots__ = ("asset",)
    ASSET_FIELD_NUMBER: _ClassVar[int]
    asset: MarketingAsset
    def __init__(self, asset: _Optional[_Union[MarketingAsset, _Mapping]] = ...) -> None: ...

class UpsertMarketingAssetResponse(_message.Message):
    __slots__ = ("asset",)
    ASSET_FIELD_NUMBER: _ClassVar[int]
    asset: MarketingAsset
    def __init__(self, asset: _Optional[_Union[MarketingAsset, _Mapping]] = ...) -> None: ...

class GetCatalogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCatalogResponse(_message.Message):
    __slots__ = ("projects", "marketing_assets")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    MARKETING_ASSETS_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[Project]
    marketing_assets: _containers.RepeatedCompositeFieldContainer[MarketingAsset]
    def __init__(self, projects: _Optional[_Iterable[_Union[Project, _Mapping]]] = ..., marketing_assets: _Optional[_Iterable[_Union[MarketingAsset, _Mapping]]] = ...) -> None: ...

class Media(_message.Message):
    __slots__ = ("provider_media_id", "url", "mime_type", "sha256", "filename", "caption")
    PROVIDER_MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    provider_media_id: str
    url: str
    mime_type: str
    sha256: str
    filename: str
    caption: str
    def __init__(self, provider_media_id: _Optional[str] = ..., url: _Optional[str] = ..., mime_type: _Optional[str] = ..., sha256: _Optional[str] = ..., filename: _Optional[str] = ..., caption: _Optional[str] = ...) -> None: ...

class Referral(_message.Message):
    __slots__ = ("source_id", "source_url", "source_type", "headline", "body", "ctwa_clid", "media_type")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEADLINE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CTWA_CLID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    source_url: str
    source_type: str
    headline: str
    body: str
    ctwa_clid: str
    media_type: str
    def __init__(self, source_id: _Optional[str] = ..., source_url: _Optional[str] = ..., source_type: _Optional[str] = ..., headline: _Optional[str] = ..., body: _Optional[str] = ..., ctwa_clid: _Optional[str] = ..., media_type: _Optional[str] = ...) -> None: ...

class InboundMessage(_message.Message):
    __slots__ = ("provider", "provider_message_id", "from_phone", "profile_name", "sent_at", "type", "text", "media", "payload", "context_message_id", "project_code", "asset_code", "reply_id", "from_user_id", "username", "referral", "new_from_phone", "new_from_user_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_PHONE_FIELD_NUMBER: _ClassVar[int]
    PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    ASSET_CODE_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_USER_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    NEW_FROM_PHONE_FIELD_NUMBER: _ClassVar[int]
    NEW_FROM_USER_ID_FIELD_NUMBER: _ClassVar[int]
    provider: Provider
    provider_message_id: str
    from_phone: str
    profile_name: str
    sent_at: _timestamp_pb2.Timestamp
    type: MessageType
    text: str
    media: Media
    payload: _struct_pb2.Struct
    context_message_id: str
    project_code: str
    asset_code: str
    reply_id: str
    from_user_id: str
    username: str
    referral: Referral
    new_from_phone: str
    new_from_user_id: str
    def __init__(self, provider: _Optional[_Union[Provider, str]] = ..., provider_message_id: _Optional[str] = ..., from_phone: _Optional[str] = ..., profile_name: _Optional[str] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., type: _Optional[_Union[MessageType, str]] = ..., text: _Optional[str] = ..., media: _Optional[_Union[Media, _Mapping]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., context_message_id: _Optional[str] = ..., project_code: _Optional[str] = ..., asset_code: _Optional[str] = ..., reply_id: _Optional[str] = ..., from_user_id: _Optional[str] = ..., username: _Optional[str] = ..., referral: _Optional[_Union[Referral, _Mapping]] = ..., new_from_phone: _Optional[str] = ..., new_from_user_id: _Optional[str] = ...) -> None: ...

class IngestMessageRequest(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: InboundMessage
    def __init__(self, message: _Optional[_Union[InboundMessage, _Mapping]] = ...) -> None: ...

class IngestMessageResponse(_message.Message):
    __slots__ = ("lead_id", "conversation_id", "ticket_id", "message_id", "duplicate", "phone_e164", "reply_address")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    REPLY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    conversation_id: str
    ticket_id: str
    message_id: str
    duplicate: bool
    phone_e164: str
    reply_address: str
    def __init__(self, lead_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., ticket_id: _Optional[str] = ..., message_id: _Optional[str] = ..., duplicate: _Optional[bool] = ..., phone_e164: _Optional[str] = ..., reply_address: _Optional[str] = ...) -> None: ...

class IngestMessagesRequest(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[InboundMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[InboundMessage, _Mapping]]] = ...) -> None: ...

class IngestMessagesResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[IngestOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[IngestOutcome, _Mapping]]] = ...) -> None: ...

class IngestOutcome(_message.Message):
    __slots__ = ("stored", "error")
    STORED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    stored: IngestMessageResponse
    error: IngestError
    def __init__(self, stored: _Optional[_Union[IngestMessageResponse, _Mapping]] = ..., error: _Optional[_Union[IngestError, _Mapping]] = ...) -> None: ...

class IngestError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("id", "source", "reason", "payload", "received_at", "tenant_slug")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    TENANT_SLUG_FIELD_NUMBER: _ClassVar[int]
    id: str
    source: str
    reason: str
    payload: str
    received_at: _timestamp_pb2.Timestamp
    tenant_slug: str
    def __init__(self, id: _Optional[str] = ..., source: _Optional[str] = ..., reason: _Optional[str] = ..., payload: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tenant_slug: _Optional[str] = ...) -> None: ...

class RecordDeadLetterRequest(_message.Message):
    __slots__ = ("source", "reason", "payload", "tenant_slug")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    TENANT_SLUG_FIELD_NUMBER: _ClassVar[int]
    source: str
    reason: str
    payload: str
    tenant_slug: str
    def __init__(self, source: _Optional[str] = ..., reason: _Optional[str] = ..., payload: _Optional[str] = ..., tenant_slug: _Optional[str] = ...) -> None: ...

class RecordDeadLetterResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("dead_letters", "next_page_token")
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    next_page_token: str
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LeadSource(_message.Message):
    __slots__ = ("asset_code", "asset_name", "referral")
    ASSET_CODE_FIELD_NUMBER: _ClassVar[int]
    ASSET_NAME_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    asset_code: str
    asset_name: str
    referral: Referral
    def __init__(self, asset_code: _Optional[str] = ..., asset_name: _Optional[str] = ..., referral: _Optional[_Union[Referral, _Mapping]] = ...) -> None: ...

class Ticket(_message.Message):
    __slots__ = ("id", "lead_id", "lead_name", "phone_e164", "project_code", "project_name", "stage", "last_message_snippet", "last_message_at", "visit_scheduled_at", "assignee_user_id", "unread_count", "last_inbound_at", "conversation_id", "created_at", "reply_address", "lead_user_id", "lead_username", "source", "waiting_since")
    ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_SNIPPET_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AT_FIELD_NUMBER: _ClassVar[int]
    VISIT_SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_INBOUND_AT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REPLY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LEAD_USER_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_USERNAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    WAITING_SINCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    lead_id: str
    lead_name: str
    phone_e164: str
    project_code: str
    project_name: str
    stage: str
    last_message_snippet: str
    last_message_at: _timestamp_pb2.Timestamp
    visit_scheduled_at: _timestamp_pb2.Timestamp
    assignee_user_id: str
    unread_count: int
    last_inbound_at: _timestamp_pb2.Timestamp
    conversation_id: str
    created_at: _timestamp_pb2.Timestamp
    reply_address: str
    lead_user_id: str
    lead_username: str
    source: LeadSource
    waiting_since: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., lead_id: _Optional[str] = ..., lead_name: _Optional[str] = ..., phone_e164: _Optional[str] = ..., project_code: _Optional[str] = ..., project_name: _Optional[str] = ..., stage: _Optional[str] = ..., last_message_snippet: _Optional[str] = ..., last_message_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., visit_scheduled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assignee_user_id: _Optional[str] = ..., unread_count: _Optional[int] = ..., last_inbound_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conversation_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reply_address: _Optional[str] = ..., lead_user_id: _Optional[str] = ..., lead_username: _Optional[str] = ..., source: _Optional[_Union[LeadSource, _Mapping]] = ..., waiting_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("id", "direction", "actor", "provider", "provider_message_id", "type", "text", "media", "payload", "sent_at", "created_at", "author_user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    direction: Direction
    actor: Actor
    provider: Provider
    provider_message_id: str
    type: MessageType
    text: str
    media: Media
    payload: _struct_pb2.Struct
    sent_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    author_user_id: str
    def __init__(self, id: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ..., actor: _Optional[_Union[Actor, str]] = ..., provider: _Optional[_Union[Provider, str]] = ..., provider_message_id: _Optional[str] = ..., type: _Optional[_Union[MessageType, str]] = ..., text: _Optional[str] = ..., media: _Optional[_Union[Media, _Mapping]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., author_user_id: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("id", "type", "correlation_id", "payload", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    correlation_id: str
    payload: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., correlation_id: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTicketsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "stage", "project_code", "assignee_user_id", "query", "unread_only", "window", "order")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    stage: str
    project_code: str
    assignee_user_id: str
    query: str
    unread_only: bool
    window: WindowFilter
    order: TicketOrder
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., stage: _Optional[str] = ..., project_code: _Optional[str] = ..., assignee_user_id: _Optional[str] = ..., query: _Optional[str] = ..., unread_only: _Optional[bool] = ..., window: _Optional[_Union[WindowFilter, str]] = ..., order: _Optional[_Union[TicketOrder, str]] = ...) -> None: ...

class ListTicketsResponse(_message.Message):
    __slots__ = ("tickets", "next_page_token")
    TICKETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tickets: _containers.RepeatedCompositeFieldContainer[Ticket]
    next_page_token: str
    def __init__(self, tickets: _Optional[_Iterable[_Union[Ticket, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetTicketRequest(_message.Message):
    __slots__ = ("ticket_id",)
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    def __init__(self, ticket_id: _Optional[str] = ...) -> None: ...

class GetTicketResponse(_message.Message):
    __slots__ = ("ticket", "messages", "events")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class ApplyTicketUpdateRequest(_message.Message):
    __slots__ = ("ticket_id", "dedupe_key", "event_type", "event_payload", "stage", "visit_scheduled_at", "clear_visit_scheduled_at", "assignee_user_id")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUPE_KEY_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    VISIT_SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    CLEAR_VISIT_SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    dedupe_key: str
    event_type: str
    event_payload: _struct_pb2.Struct
    stage: str
    visit_scheduled_at: _timestamp_pb2.Timestamp
    clear_visit_scheduled_at: bool
    assignee_user_id: str
    def __init__(self, ticket_id: _Optional[str] = ..., dedupe_key: _Optional[str] = ..., event_type: _Optional[str] = ..., event_payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., stage: _Optional[str] = ..., visit_scheduled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., clear_visit_scheduled_at: _Optional[bool] = ..., assignee_user_id: _Optional[str] = ...) -> None: ...

class ApplyTicketUpdateResponse(_message.Message):
    __slots__ = ("ticket", "applied")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    applied: bool
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., applied: _Optional[bool] = ...) -> None: ...

class AppendOutboundMessageRequest(_message.Message):
    __slots__ = ("ticket_id", "dedupe_key", "actor", "author_user_id", "text", "type", "payload")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUPE_KEY_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_USER_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    dedupe_key: str
    actor: Actor
    author_user_id: str
    text: str
    type: MessageType
    payload: _struct_pb2.Struct
    def __init__(self, ticket_id: _Optional[str] = ..., dedupe_key: _Optional[str] = ..., actor: _Optional[_Union[Actor, str]] = ..., author_user_id: _Optional[str] = ..., text: _Optional[str] = ..., type: _Optional[_Union[MessageType, str]] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class AppendOutboundMessageResponse(_message.Message):
    __slots__ = ("message", "ticket", "duplicate", "phone_e164", "provider", "reply_address")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TICKET_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REPLY_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    message: Message
    ticket: Ticket
    duplicate: bool
    phone_e164: str
    provider: Provider
    reply_address: str
    def __init__(self, message: _Optional[_Union[Message, _Mapping]] = ..., ticket: _Optional[_Union[Ticket, _Mapping]] = ..., duplicate: _Optional[bool] = ..., phone_e164: _Optional[str] = ..., provider: _Optional[_Union[Provider, str]] = ..., reply_address: _Optional[str] = ...) -> None: ...

class CountTicketsRequest(_message.Message):
    __slots__ = ("project_code", "assignee_user_id")
    PROJECT_CODE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    project_code: str
    assignee_user_id: str
    def __init__(self, project_code: _Optional[str] = ..., assignee_user_id: _Optional[str] = ...) -> None: ...

class StageCount(_message.Message):
    __slots__ = ("stage", "count")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    stage: str
    count: int
    def __init__(self, stage: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class CountTicketsResponse(_message.Message):
    __slots__ = ("stages", "waiting")
    STAGES_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    stages: _containers.RepeatedCompositeFieldContainer[StageCount]
    waiting: int
    def __init__(self, stages: _Optional[_Iterable[_Union[StageCount, _Mapping]]] = ..., waiting: _Optional[int] = ...) -> None: ...

class WatchChangesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchChangesResponse(_message.Message):
    __slots__ = ("ready", "ticket", "event", "message")
    READY_FIELD_NUMBER: _ClassVar[int]
    TICKET_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ready: bool
    ticket: Ticket
    event: Event
    message: Message
    def __init__(self, ready: _Optional[bool] = ..., ticket: _Optional[_Union[Ticket, _Mapping]] = ..., event: _Optional[_Union[Event, _Mapping]] = ..., message: _Optional[_Union[Message, _Mapping]] = ...) -> None: ...

class SetTicketOutcomeRequest(_message.Message):
    __slots__ = ("ticket_id", "outcome", "lost_reason", "idempotency_key")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    LOST_REASON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    outcome: TicketOutcome
    lost_reason: str
    idempotency_key: str
    def __init__(self, ticket_id: _Optional[str] = ..., outcome: _Optional[_Union[TicketOutcome, str]] = ..., lost_reason: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class SetTicketOutcomeResponse(_message.Message):
    __slots__ = ("ticket", "applied")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    ticket: Ticket
    applied: bool
    def __init__(self, ticket: _Optional[_Union[Ticket, _Mapping]] = ..., applied: _Optional[bool] = ...) -> None: ...

class AddNoteRequest(_message.Message):
    __slots__ = ("ticket_id", "text", "idempotency_key")
    TICKET_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ticket_id: str
    text: str
    idempotency_key: str
    def __init__(self, ticket_id: _Optional[str] = ..., text: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class AddNoteResponse(_message.Message):
    __slots__ = ("note", "duplicate")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    note: Event
    duplicate: bool
    def __init__(self, note: _Optional[_Union[Event, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class LostReason(_message.Message):
    __slots__ = ("code", "label")
    CODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    code: str
    label: str
    def __init__(self, code: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class ListLostReasonsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListLostReasonsResponse(_message.Message):
    __slots__ = ("reasons",)
    REASONS_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[LostReason]
    def __init__(self, reasons: _Optional[_Iterable[_Union[LostReason, _Mapping]]] = ...) -> None: ...

class SetLostReasonsRequest(_message.Message):
    __slots__ = ("reasons",)
    REASONS_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[LostReason]
    def __init__(self, reasons: _Optional[_Iterable[_Union[LostReason, _Mapping]]] = ...) -> None: ...

class SetLostReasonsResponse(_message.Message):
    __slots__ = ("reasons",)
    REASONS_FIELD_NUMBER: _ClassVar[int]
    reasons: _containers.RepeatedCompositeFieldContainer[LostReason]
    def __init__(self, reasons: _Optional[_Iterable[_Union[LostReason, _Mapping]]] = ...) -> None: ...
