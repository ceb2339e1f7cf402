"""VisitsService over gRPC: translates protos to domain values and back, nothing more."""

from __future__ import annotations

from typing import Any

import grpc

from libs.common.errors import NotImplementedYet
from services.visits.service import VisitsService
from vertice360.visits.v1 import visits_pb2 as pb
from vertice360.visits.v1 import visits_pb2_grpc


class VisitsServicer(visits_pb2_grpc.VisitsServiceServicer):
    """Thin gRPC adapter over VisitsService."""

    def __init__(self, service: VisitsService) -> None:
        self.service = service

    async def ProposeVisit(self, request: pb.ProposeVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #4 (visits: propose, confirm, reschedule, cancel).
        raise NotImplementedYet("ProposeVisit", 4)

    async def ConfirmVisit(self, request: pb.ConfirmVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #4.
        raise NotImplementedYet("ConfirmVisit", 4)

    async def RescheduleVisit(self, request: pb.RescheduleVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #4.
        raise NotImplementedYet("RescheduleVisit", 4)

    async def CancelVisit(self, request: pb.CancelVisitRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #4.
        raise NotImplementedYet("CancelVisit", 4)

    async def ListVisits(self, request: pb.ListVisitsRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #4.
        raise NotImplementedYet("ListVisits", 4)

    async def HandleLeadReply(self, request: pb.HandleLeadReplyRequest, context: grpc.aio.ServicerContext) -> Any:
        # Built by issue #4 (the lead confirms from WhatsApp reply buttons).
        raise NotImplementedYet("HandleLeadReply", 4)
