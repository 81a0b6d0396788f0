"""WCAG 2.1 contrast arithmetic for colours that staff pick in the admin."""

import re

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
BLACK = "#000000"
WHITE = "#ffffff"
# WCAG 2.1 AA for normal-size text.
AA_NORMAL_TEXT = 4.5


def _channel(value):
    value = value / 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour):
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first, second):
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_for(background):
    """Black or white, whichever reads better on ``background``."""
    if contrast_ratio(background, BLACK) >= contrast_ratio(background, WHITE):
        return BLACK
    return WHITE
