"""``python -m ltr.admin.convert_checkpoint OLD NEW``: rewrite a trusted legacy checkpoint in this project's format.

Why: checkpoints of the original implementation are pickles that reference its classes, so they cannot be loaded
with ``weights_only=True``; :func:`ltr.admin.loading.read_legacy_checkpoint` reads them without running anything
(every referenced class or function becomes an inert stub). This command keeps what a network needs (weights,
constructor record, epoch, net type) and writes a plain-data checkpoint with an integrity record, which every loader
of this project (training resume included) reads directly. It never overwrites an existing file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ltr.admin.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, check_finite_weights, save_checkpoint
from ltr.admin.cli import cli_main
from ltr.admin.loading import read_checkpoint

__all__ = ["convert", "main"]


def convert(source: str | Path, target: str | Path) -> Path:
    """Read ``source`` (either format, nothing executed) and write ``target`` in this project's format."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} already exists; not overwriting it (choose another name)")
    ckpt = read_checkpoint(source)
    check_finite_weights(ckpt["net"], source)
    state = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "epoch": int(ckpt.get("epoch") or 0),
        "net_type": ckpt.get("net_type") or "",
        "actor_type": ckpt.get("actor_type"),
        "net": dict(ckpt["net"]),
        "constructor": ckpt.get("constructor"),
        "optimizer": None,
        "lr_scheduler": None,
        "stats": {},
        "rng_state": {},
        "settings": None,
        "extra": {"converted_from": str(Path(source).resolve())},
    }
    return save_checkpoint(state, target)


@cli_main("convert_checkpoint")
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ltr.admin.convert_checkpoint", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="trusted checkpoint of the original implementation (e.g. atom_default.pth)")
    parser.add_argument("target", help="new file to write (this project's format); must not exist")
    args = parser.parse_args(argv)
    out = convert(args.source, args.target)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
