"""What visits writes to leads, per tenant language, with times in the tenant's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGUAGES = ("es", "en", "pt")
DEFAULT_LANGUAGE = "es"

WEEKDAYS = {
    "es": ("Lun", "Mar", "Mié", "Jue", "Vie", "Sáb", "Dom"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "pt": ("Seg", "Ter", "Qua", "Qui", "Sex", "Sáb", "Dom"),
}

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "offer": "¡Hola! Elegí el horario que te quede mejor para visitar {project}:",
        "offer_again": "Ese horario se acaba de ocupar o ya no está disponible. Estos siguen libres:",
        "offer_reschedule": "¡Claro! Elegí un nuevo horario para tu visita:",
        "button": "Ver horarios",
        "section": "Horarios disponibles",
        "row": "Visita de {minutes} min",
        "none": "Ahora no tenemos horarios libres para visitar; un asesor te escribe para coordinar.",
        "booked": "¡Listo! Tu visita quedó confirmada para el {when}. Si necesitás cambiarla, tocá Reprogramar.",
        "already": "Tu visita ya está confirmada para el {when}. Si necesitás cambiarla, tocá Reprogramar.",
        "reschedule": "Reprogramar",
        "reminder": "Te recordamos tu visita a {project} el {when}. ¡Te esperamos!",
        "when": "{day}/{month}/{year} a las {time}",
    },
    "en": {
        "offer": "Hi! Pick the time that suits you best to visit {project}:",
        "offer_again": "That time was just taken or is no longer available. These are still free:",
        "offer_reschedule": "Sure! Pick a new time for your visit:",
        "button": "See times",
        "section": "Available times",
        "row": "{minutes} min visit",
        "none": "There are no free times right now; an agent will write to you to arrange one.",
        "booked": "Done! Your visit is confirmed for {when}. If you need to change it, tap Reschedule.",
        "already": "Your visit is already confirmed for {when}. If you need to change it, tap Reschedule.",
        "reschedule": "Reschedule",
        "reminder": "A reminder of your visit to {project} on {when}. See you there!",
        "when": "{day}/{month}/{year} at {time}",
    },
    "pt": {
        "offer": "Olá! Escolha o horário que for melhor para visitar {project}:",
        "offer_again": "Esse horário acabou de ser ocupado ou não está mais disponível. Estes continuam livres:",
        "offer_reschedule": "Claro! Escolha um novo horário para a sua visita:",
        "button": "Ver horários",
        "section": "Horários disponíveis",
        "row": "Visita de {minutes} min",
        "none": "No momento não há horários livres; um corretor vai escrever para combinar.",
        "booked": "Pronto! Sua visita está confirmada para {when}. Se precisar mudar, toque em Reagendar.",
        "already": "Sua visita já está confirmada para {when}. Se precisar mudar, toque em Reagendar.",
        "reschedule": "Reagendar",
        "reminder": "Lembrete da sua visita a {project} em {when}. Esperamos você!",
        "when": "{day}/{month}/{year} às {time}",
    },
}


def text(language: str, key: str, **values: object) -> str:
    """One message in the tenant's language (Spanish when unknown)."""
    return TEXTS.get(language, TEXTS[DEFAULT_LANGUAGE])[key].format(**values)


def when(language: str, at: datetime, zone: str) -> str:
    """A date and time as leads read it, e.g. "05/02/2030 a las 10:00", in the tenant's time zone."""
    local = at.astimezone(ZoneInfo(zone))
    return text(
        language, "when", day=f"{local.day:02d}", month=f"{local.month:02d}", year=local.year, time=f"{local:%H:%M}"
    )


def row_title(language: str, at: datetime, zone: str) -> str:
    """A list row's title (WhatsApp allows 24 characters), e.g. "Jue 05/02 10:00"."""
    local = at.astimezone(ZoneInfo(zone))
    weekday = WEEKDAYS.get(language, WEEKDAYS[DEFAULT_LANGUAGE])[local.weekday()]
    return f"{weekday} {local:%d/%m %H:%M}"
