"""The console in a real browser (Debian's Chromium via Playwright) against the real services and gateway."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from tests.console.conftest import ARTIFACTS, LAPTOP, PHONE, Console, Shop, Tab, open_tab
from vertice360.supervisor.v1 import supervisor_pb2

pytestmark = pytest.mark.integration


async def test_login_then_a_signed_webhook_appears_in_the_inbox_without_reload(
    tab: Tab, shop: Shop, console: Console
) -> None:
    await tab.login(shop)
    page = tab.page
    await expect(page.get_by_role("heading", name="Bandeja")).to_be_visible()
    await expect(page.locator("#live")).to_have_attribute("sse-connect", re.compile(r"^/feed\?after=\w+\.\d+$"))
    await console.webhook(shop, from_phone="5491155550001", name="Lucía Fernández", text="Hola, vi el aviso de Palermo")
    row = page.locator(".row", has_text="Lucía Fernández")
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("Hola, vi el aviso de Palermo")
    await expect(row.locator(".badge")).to_have_text("1")
    await expect(page.locator(".funnel__step--new .funnel__count")).to_have_text("1")


async def test_a_hostile_lead_name_renders_as_text(tab: Tab, shop: Shop, console: Console) -> None:
    await console.webhook(
        shop, from_phone="5491155550002", name="<script>alert(1)</script>", text="<img src=x onerror=alert(2)>"
    )
    dialogs: list[str] = []
    tab.page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await tab.login(shop)
    row = tab.page.locator(".row", has_text="alert(1)")
    await expect(row.locator(".row__name")).to_have_text("<script>alert(1)</script>")
    await expect(row.locator(".row__snippet")).to_have_text("<img src=x onerror=alert(2)>")
    await console.webhook(shop, from_phone="5491155550003", name="<b>live</b><script>alert(3)</script>", text="x")
    await expect(tab.page.locator(".row__name", has_text="<b>live</b>")).to_be_visible()
    await row.click()
    await expect(tab.page.locator("#ticket-title")).to_have_text("<script>alert(1)</script>")
    assert dialogs == []
    assert await tab.page.locator("script:not([src])").count() == 0


async def test_reply_visit_and_won_from_the_ticket_view(tab: Tab, shop: Shop, console: Console) -> None:
    await console.webhook(shop, from_phone="5491155550010", name="Sofía Herrera", text="¿Tienen 2 ambientes en Núñez?")
    await tab.login(shop)
    page = tab.page
    await page.locator(".row", has_text="Sofía Herrera").click()
    await expect(page.locator("#ticket-title")).to_have_text("Sofía Herrera")

    reply = page.get_by_label("Mensaje para Sofía Herrera")
    await reply.fill("¡Hola Sofía! Sí, tenemos. ¿Querés visitarlo el jueves?")
    send = page.get_by_role("button", name="Enviar", exact=True)
    await send.dblclick()
    bubble = page.locator(".bubble--out", has_text="¿Querés visitarlo el jueves?")
    await expect(bubble).to_have_count(1)
    # The sandbox plays sent -> delivered -> read; the tick follows through the live feed.
    await expect(bubble.locator(".tick")).to_have_attribute("data-status", re.compile("delivered|read"), timeout=15000)
    await expect(page.locator("#ticket-stage")).to_have_text("En conversación")
    await expect(reply).to_have_value("")

    when = (datetime.now(ZoneInfo("America/Argentina/Buenos_Aires")) + timedelta(days=20)).replace(hour=15, minute=0)
    await page.get_by_label(re.compile("Fecha y hora")).fill(when.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_role("button", name="Proponer visita").click()
    card = page.locator("#visit-card")
    await expect(card).to_contain_text(when.strftime("%d/%m/%Y 15:00"))
    await expect(page.locator("#ticket-stage")).to_have_text("Esperando confirmación")
    await card.get_by_role("button", name="Confirmar").click()
    await expect(card).to_contain_text("Confirmada")
    await expect(page.locator("#ticket-stage")).to_have_text("Visita confirmada")
    await expect(page.locator(".ticket-head__visit")).to_contain_text(when.strftime("%d/%m/%Y 15:00"))

    await page.get_by_role("button", name="Visita realizada").click()
    await expect(page.locator("#ticket-stage")).to_have_text("Visita realizada")
    await page.get_by_role("button", name="Ganado").click()
    await expect(page.locator("#ticket-stage")).to_have_text("Ganado")
    await expect(page.locator(".event", has_text="Ganado")).to_contain_text("Martín Pereyra")
    await expect(page.locator(".row", has_text="Sofía Herrera").locator(".pill")).to_have_text("Ganado")
    sent = await console.stack.supervisor.ListOutboundMessages(
        supervisor_pb2.ListOutboundMessagesRequest(ticket_id=page.url.rsplit("/", 1)[-1]),
        metadata=console.stack.md(shop.slug),
    )
    assert [m.text for m in sent.messages if "jueves" in m.text] == [
        "¡Hola Sofía! Sí, tenemos. ¿Querés visitarlo el jueves?"
    ]


LEADS = (
    ("5491155550101", "Lucía Fernández", "Hola! Vi el aviso de Palermo Soho, ¿qué precio tiene el 2 ambientes?"),
    ("5491155550102", "Martín Acosta", "Buenas, ¿aceptan permuta por un departamento en Caballito?"),
    ("5491155550103", "Carolina Ruiz", "Quisiera coordinar una visita al showroom este sábado"),
    ("5491155550104", "Diego Sánchez", "¿La entrega es en 2027? ¿Cuánto es el anticipo?"),
    ("5491155550105", "Florencia Díaz", "Me interesa un 3 ambientes con balcón en Núñez"),
    ("5491155550106", "Javier Morales", "¿Tienen cocheras disponibles?"),
)


async def test_screenshots_of_inbox_and_ticket_at_laptop_and_phone_sizes(
    browser: Browser, shop: Shop, console: Console
) -> None:
    for phone, name, text in LEADS:
        await console.webhook(shop, from_phone=phone, name=name, text=text)
    await console.webhook(
        shop,
        from_phone=LEADS[0][0],
        name=LEADS[0][1],
        kind="image",
        image={"id": "1233219876543210", "mime_type": "image/jpeg", "caption": "Así quiero el living"},
    )
    for viewport, size in ((LAPTOP, "1280x800"), (PHONE, "375")):
        tab = await open_tab(browser, console, viewport=viewport)
        try:
            await tab.login(shop)
            await expect(tab.page.locator(".row")).to_have_count(len(LEADS))
            await tab.screenshot(f"inbox-{size}")
            await tab.page.locator(".row", has_text="Lucía Fernández").click()
            await expect(tab.page.locator("#ticket-title")).to_have_text("Lucía Fernández")
            if size == "1280x800":
                await tab.page.get_by_label("Mensaje para Lucía Fernández").fill(
                    "¡Hola Lucía! El 2 ambientes arranca en USD 98.000."
                )
                await tab.page.get_by_role("button", name="Enviar", exact=True).click()
                await expect(tab.page.locator(".bubble--out .tick")).to_have_attribute(
                    "data-status", re.compile("delivered|read"), timeout=15000
                )
            await tab.screenshot(f"ticket-{size}")
            assert tab.errors == []
        finally:
            await tab.page.context.close()
    assert (ARTIFACTS / "inbox-375.png").exists()
