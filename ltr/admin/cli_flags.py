"""One spelling rule for every command's flags: ``--multi-word`` is canonical, ``--multi_word`` is accepted as well.

Why: the original framework's scripts use ``--dataset_name`` / ``--optional_box`` / ``--save_results`` while most
modern tools use dashes; users type both from muscle memory. Every command of this project builds its parser and
then calls :func:`add_flag_aliases`, which registers the other spelling of each long option as a hidden alias (the
help shows the canonical dash spelling only), so the two can never drift apart between commands again. Explicit
aliases of a different word (``--skip-missing`` for ``--allow-missing``) are given to :func:`add_flag_aliases` too
and are hidden from the help the same way.

Lives in ``ltr.admin`` because both packages' commands use it and ``ltr`` must not import ``pytracking``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

__all__ = ["add_flag_aliases", "long_options", "ALIAS_NOTE"]

ALIAS_NOTE = "Every --multi-word flag is also accepted as --multi_word."


def _other_spelling(option: str) -> str | None:
    if not option.startswith("--"):
        return None
    body = option[2:]
    if "-" in body:
        return "--" + body.replace("-", "_")
    if "_" in body:
        return "--" + body.replace("_", "-")
    return None


def add_flag_aliases(parser: argparse.ArgumentParser,
                     extra: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """Accept ``--a_b`` for every ``--a-b`` (and the reverse) and the ``extra`` ``{alias: canonical}`` spellings.

    The aliases parse exactly like the canonical option (same action, same ``dest``) but are not listed in
    ``--help``. An alias that is already an option of the parser is left alone (never re-pointed). Returns the
    parser. Sub-parsers are handled too.
    """
    table = parser._option_string_actions  # noqa: SLF001 - argparse keeps no public registry of option strings
    for action in list(parser._actions):  # noqa: SLF001
        for option in list(action.option_strings):
            other = _other_spelling(option)
            if other is not None and other not in table:
                table[other] = action
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                add_flag_aliases(sub, extra)
    for alias, canonical in (extra or {}).items():
        if canonical in table and alias not in table:
            table[alias] = table[canonical]
            other = _other_spelling(alias)
            if other is not None and other not in table:
                table[other] = table[canonical]
    return parser


def long_options(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """``{canonical --option: [every accepted spelling]}`` of a parser (for the README table and the tests)."""
    out: dict[str, list[str]] = {}
    for action in parser._actions:  # noqa: SLF001
        longs = [o for o in action.option_strings if o.startswith("--")]
        if not longs or action.dest == "help":
            continue
        spellings = sorted(o for o, a in parser._option_string_actions.items()  # noqa: SLF001
                           if a is action and o.startswith("--"))
        out[longs[0]] = spellings
    return out
