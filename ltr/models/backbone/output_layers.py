"""Checking the output-layer names a backbone is asked for, the same way for every backbone."""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["check_output_layers"]


def check_output_layers(layers: Sequence[str] | str, valid: Collection[str], network: str,
                        valid_text: str | None = None) -> tuple[str, ...]:
    """``layers`` as a tuple; raises ``ValueError`` when it is empty or names a layer not in ``valid``.

    ``network`` (e.g. ``'ResNet'``) and ``valid_text`` (a short description of the valid names; default: the list)
    make the message say which backbone and which names exist.
    """
    names = (layers,) if isinstance(layers, str) else tuple(layers)
    if not names:
        raise ValueError("output_layers must name at least one layer")
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(f"unknown {network} layer(s) {unknown}; valid names are {valid_text or list(valid)}")
    return names
