"""An iCalendar file (RFC 5545) for one appointment: the clinic, the time, nothing about the reason."""

import datetime


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(moment) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(appointment, *, clinic) -> str:
    slot = appointment.slot
    location = ", ".join(
        part for part in [clinic.street_address, f"{clinic.postal_code} {clinic.city}".strip()] if part
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//eportal//booking//NO",
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.pk}@eportal",
        f"DTSTAMP:{_utc(appointment.created_at)}",
        f"DTSTART:{_utc(slot.starts_at)}",
        f"DTEND:{_utc(slot.ends_at)}",
        f"SUMMARY:{_escape(f'Time hos {clinic.name}')}",
        f"LOCATION:{_escape(location)}",
        "STATUS:CANCELLED" if appointment.cancelled_at else "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
