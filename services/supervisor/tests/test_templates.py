"""Message templates over real gRPC and Postgres: recorded by admins, listed for the reply box."""

from __future__ import annotations

import grpc
import pytest

from libs.common.auth import Role
from tests.support.stack import Stack
from vertice360.supervisor.v1 import supervisor_pb2 as pb

pytestmark = pytest.mark.integration


def a_template(**fields: object) -> pb.MessageTemplate:
    values: dict[str, object] = {
        "name": "seguimiento_visita",
        "language": "es_AR",
        "title": "Seguimiento",
        "body": "Hola {{1}}, ¿pudiste pensar en la visita a {{2}}?",
        "active": True,
    }
    values.update(fields)
    return pb.MessageTemplate(**values)


async def test_admins_record_templates_and_agents_list_the_active_ones(stack: Stack) -> None:
    tenant, other = await stack.new_tenant(), await stack.new_tenant()
    admin = stack.md(tenant, Role.ADMIN, "admin-1")
    first = await stack.supervisor.UpsertTemplate(pb.UpsertTemplateRequest(template=a_template()), metadata=admin)
    assert first.created and first.template.parameter_count == 2
    again = await stack.supervisor.UpsertTemplate(
        pb.UpsertTemplateRequest(template=a_template(title="Seguimiento de visita")), metadata=admin
    )
    assert not again.created and again.template.title == "Seguimiento de visita"
    await stack.supervisor.UpsertTemplate(
        pb.UpsertTemplateRequest(template=a_template(name="viejo", body="Hola", active=False)), metadata=admin
    )
    listed = await stack.supervisor.ListTemplates(pb.ListTemplatesRequest(), metadata=stack.md(tenant, Role.AGENT))
    assert [(t.name, t.parameter_count) for t in listed.templates] == [("seguimiento_visita", 2)]
    everything = await stack.supervisor.ListTemplates(pb.ListTemplatesRequest(include_inactive=True), metadata=admin)
    assert {t.name for t in everything.templates} == {"seguimiento_visita", "viejo"}
    others = await stack.supervisor.ListTemplates(pb.ListTemplatesRequest(), metadata=stack.md(other, Role.AGENT))
    assert list(others.templates) == []


@pytest.mark.parametrize(
    ("template", "field"),
    [
        (a_template(name="con espacios"), "template.name"),
        (a_template(name="x" * 513), "template.name"),
        (a_template(language="español"), "template.language"),
        (a_template(body=""), "template.body"),
        (a_template(body="Hola {{1}} y {{3}}"), "template.body"),
    ],
)
async def test_bad_templates_are_refused_naming_the_field(
    stack: Stack, template: pb.MessageTemplate, field: str
) -> None:
    tenant = await stack.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.supervisor.UpsertTemplate(
            pb.UpsertTemplateRequest(template=template), metadata=stack.md(tenant, Role.ADMIN)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(caught.value.trailing_metadata())["x-error-field"] == field
    listed = await stack.supervisor.ListTemplates(
        pb.ListTemplatesRequest(include_inactive=True), metadata=stack.md(tenant, Role.ADMIN)
    )
    assert list(listed.templates) == []


async def test_agents_may_not_record_templates(stack: Stack) -> None:
    tenant = await stack.new_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.supervisor.UpsertTemplate(
            pb.UpsertTemplateRequest(template=a_template()), metadata=stack.md(tenant, Role.AGENT)
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
