"""A bar chart of daily payment volume, drawn on the server as SVG: no script, no CDN, no
build step; each bar carries its figures as a tooltip and the chart as a whole is labelled
for screen readers."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.money import format_inr

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 28, 30


def daily_volume_svg(days: list) -> SafeString:
    """`days`: objects with `day` (a date), `payments` and `volume` (paise), oldest first."""
    if not days:
        return mark_safe("")
    peak = max(day.volume for day in days) or 1
    slot = (WIDTH - LEFT - RIGHT) / len(days)
    bar = max(slot * 0.7, 1)
    plot = HEIGHT - TOP - BOTTOM
    total = sum(day.volume for day in days)
    label = f"Daily payment volume, {days[0].day:%d %b} to {days[-1].day:%d %b}: {format_inr(total)} in all"
    parts = [
        f'<svg class="volume-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<text x="{LEFT}" y="16" font-size="12" fill="#555">Highest day: {escape(format_inr(peak))}</text>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#bbb"/>',
    ]
    for index, day in enumerate(days):
        height = plot * day.volume / peak
        x = LEFT + index * slot + (slot - bar) / 2
        tip = (
            f"{day.day:%a %d %b}: {format_inr(day.volume)} in {day.payments} payment{'s' if day.payments != 1 else ''}"
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - height:.1f}" width="{bar:.1f}" height="{max(height, 0):.1f}" '
            f'fill="#417690"><title>{escape(tip)}</title></rect>'
        )
        if index % 5 == 0 or index == len(days) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" font-size="11" text-anchor="middle" fill="#555">'
                f"{day.day:%d %b}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
