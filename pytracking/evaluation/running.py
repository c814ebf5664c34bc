"""Run trackers over datasets: sequential or in a process pool, resumable, shardable, failures summarised.

Every (tracker, sequence) pair is one job. A job whose box file already exists is skipped with an
"exists, skipped" line (result files are written atomically, so an existing file is a complete one). A job that
raises is reported with its traceback, the run continues, and the returned :class:`RunReport` lists every failure
(``run_tracker.py`` exits non-zero if there is any). ``--shard i/n`` keeps every n-th sequence starting at the i-th
(1-based), a deterministic slice of the dataset order, so several hosts can share one results folder.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ltr.admin.atomic_io import atomic_write_text, remove_stale_temp_files
from ltr.admin.output_dirs import ensure_output_dir
from pytracking.evaluation.claims import claim_sequence
from pytracking.evaluation.data import Sequence
from pytracking.evaluation.results_io import box_file, result_exists, save_sequence_result
from pytracking.evaluation.tracker import Tracker, fps

__all__ = ["run_dataset", "run_sequence", "RunReport", "JobResult", "parse_shard", "shard_slice",
           "DEFAULT_TORCH_THREADS", "RUN_SETTINGS_FILE"]

#: torch intra-op threads per tracked sequence unless told otherwise (``run_tracker.py --torch-threads``).
DEFAULT_TORCH_THREADS = 1
RUN_SETTINGS_FILE = "run_settings.json"


@dataclass
class JobResult:
    tracker: str
    sequence: str
    status: str  # 'done' | 'skipped' | 'failed'
    num_frames: int = 0
    fps: float = 0.0  # all frames, initialisation included
    tracking_fps: float = 0.0  # frames 1.. only (the per-frame speed users quote)
    message: str = ""


@dataclass
class RunReport:
    """What happened to every job of a :func:`run_dataset` call."""

    results: list[JobResult] = field(default_factory=list)

    def _with(self, status: str) -> list[JobResult]:
        return [r for r in self.results if r.status == status]

    @property
    def done(self) -> list[JobResult]:
        return self._with("done")

    @property
    def skipped(self) -> list[JobResult]:
        return self._with("skipped")

    @property
    def failed(self) -> list[JobResult]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        lines = [
            f"Summary: {len(self.done)} tracked, {len(self.skipped)} skipped (results exist), "
            f"{len(self.failed)} failed, {len(self.results)} jobs"
        ]
        if self.failed:
            lines.append("Failed sequences:")
            for r in self.failed:
                last = r.message.strip().splitlines()[-1] if r.message.strip() else "unknown error"
                lines.append(f"  {r.tracker} / {r.sequence}: {last}")
        return "\n".join(lines)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``'i/n'`` (1 <= i <= n) -> ``(i, n)``; ``None`` -> ``None``. ValueError with the rule otherwise."""
    if text is None:
        return None
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 1/4), got {text!r}") from None
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard {text}: need 1 <= i <= n (shards are numbered from 1)")
    return i, n


def shard_slice(items: list, shard: tuple[int, int] | None) -> list:
    """Every n-th item starting at item i-1: shards are disjoint, cover everything and interleave long/short."""
    if shard is None:
        return list(items)
    i, n = shard
    return list(items)[i - 1 :: n]


@contextmanager
def _torch_threads(count: int | None):
    """Run the block with ``count`` torch intra-op threads (restored afterwards); None leaves torch alone."""
    if count is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_sequence(
    seq: Sequence,
    tracker: Tracker,
    debug: int = 0,
    visdom_info: dict[str, Any] | None = None,
    save_float: bool = False,
    skip_existing: bool = True,
    torch_threads: int | None = DEFAULT_TORCH_THREADS,
) -> JobResult:
    """One job: claim the sequence, skip if done, else track + save atomically. Never raises for tracker errors
    (returns 'failed'). A sequence claimed by a concurrent run is 'skipped' (see :mod:`.claims`)."""
    label = tracker.label
    try:
        if skip_existing and result_exists(tracker.results_dir, seq.name):
            return JobResult(label, seq.name, "skipped", message=str(box_file(tracker.results_dir, seq.name)))
        claim = claim_sequence(tracker.results_dir, seq.name)
        if isinstance(claim, str):
            return JobResult(label, seq.name, "skipped", message=f"being tracked by another run ({claim})")
        with claim:
            note = f" (took over the lock of a crashed run, {claim.stale_owner})" if claim.stale_owner else ""
            if skip_existing and result_exists(tracker.results_dir, seq.name):  # finished by another run meanwhile
                return JobResult(label, seq.name, "skipped", message=str(box_file(tracker.results_dir, seq.name)))
            with _torch_threads(torch_threads):
                output = tracker.run_sequence(seq, debug=debug, visdom_info=visdom_info)
            save_sequence_result(tracker.results_dir, seq.name, output["target_bbox"], output["time"], save_float)
        times = output["time"]
        return JobResult(label, seq.name, "done", len(times), fps(times), fps(times[1:]) if len(times) > 1 else 0.0,
                         message=note.strip())
    except Exception:  # noqa: BLE001 - one failing sequence must not stop the benchmark; reported with traceback
        return JobResult(label, seq.name, "failed", message=traceback.format_exc())


def _exit_with_parent(parent_pid: int) -> None:
    """Make this worker die with the process that started it (kill -9 of ``run_tracker.py`` included).

    Linux: the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``). Everywhere: a daemon thread polls
    the parent pid and exits the process when it changes (the worker was re-parented) or the parent is gone.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass  # no prctl: the watchdog below still works
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _init_worker(torch_threads: int | None, parent_pid: int) -> None:
    """Worker set-up: die with the parent; torch threads per sequence set through the environment (read when torch
    initialises) so that workers whose tracker never imports torch do not pay for importing it."""
    _exit_with_parent(parent_pid)
    if torch_threads is not None:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(torch_threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(torch_threads)


def _record_run_settings(results_dir: Path, torch_threads: int | None) -> None:
    """Write ``<results_dir>/run_settings.json`` (settings that can change results, e.g. torch threads)."""
    import json

    atomic_write_text(results_dir / RUN_SETTINGS_FILE,
                      json.dumps({"torch_threads_per_sequence": torch_threads}, indent=1) + "\n")


def _log_result(log: Callable[[str], None], index: int, total: int, r: JobResult) -> None:
    prefix = f"[{index}/{total}] {r.tracker} / {r.sequence}"
    if r.status == "done":
        note = f" {r.message}" if r.message else ""
        log(f"{prefix}: {r.num_frames} frames, FPS: {r.fps:.1f} (tracking only: {r.tracking_fps:.1f}){note}")
    elif r.status == "skipped" and r.message.startswith("being tracked by another run"):
        log(f"{prefix}: skipped, {r.message}")
    elif r.status == "skipped":
        log(f"{prefix}: exists, skipped ({r.message})")
    else:
        log(f"{prefix}: FAILED\n{r.message.rstrip()}")


def run_dataset(
    dataset: Iterable[Sequence],
    trackers: Iterable[Tracker],
    debug: int = 0,
    threads: int = 0,
    visdom_info: dict[str, Any] | None = None,
    save_float: bool = False,
    shard: tuple[int, int] | str | None = None,
    skip_existing: bool = True,
    log: Callable[[str], None] = print,
    torch_threads: int | None = DEFAULT_TORCH_THREADS,
) -> RunReport:
    """Run every tracker on every sequence (of the shard) and return a :class:`RunReport`.

    Args:
        dataset: sequences (e.g. ``get_dataset('otb')``).
        trackers: :class:`Tracker` objects.
        debug: debug level passed to the trackers.
        threads: 0 = sequential in this process; N > 0 = a pool of N worker processes ('spawn' start method;
            workers exit when this process dies). Sequences, trackers and their parameter factories must be
            picklable (module-level) to run in a pool.
        visdom_info: ``{'use_visdom': bool, 'server': str, 'port': int}`` for debug visualisation.
        save_float: keep full float precision in the box files.
        shard: ``(i, n)`` or ``'i/n'``: run only the i-th of n interleaved slices of the sequence list.
        skip_existing: skip jobs whose result already exists (default); False re-runs and overwrites.
        log: receives one line per job and the final summary.
        torch_threads: torch intra-op threads while tracking one sequence, the same in every mode whatever
            ``threads`` is (thread count changes float reduction order, hence boxes); default 1. Recorded in
            ``<results_dir>/run_settings.json``. None leaves torch's own setting.

    Before the first frame, each results folder is created (or :class:`OutputLocationError` raised) and stale
    temporary files of interrupted writes in it are removed. Each sequence is claimed with a lock file before it is
    tracked, so concurrent runs on one results folder split the work (:mod:`pytracking.evaluation.claims`).
    """
    if isinstance(shard, str):
        shard = parse_shard(shard)
    sequences = shard_slice(list(dataset), shard)
    trackers = list(trackers)
    if torch_threads is not None and int(torch_threads) < 1:
        raise ValueError(f"torch threads per sequence must be >= 1, got {torch_threads}")
    for trk in trackers:  # before the first frame: the results folder must be writable
        results_dir = ensure_output_dir(trk.results_dir, "results_path (PYTRACKING_RESULTS_PATH)")
        remove_stale_temp_files(results_dir, log)
        _record_run_settings(results_dir, torch_threads)
    jobs = [(seq, trk) for seq in sequences for trk in trackers]
    report = RunReport()
    total = len(jobs)
    if shard is not None:
        log(f"Shard {shard[0]}/{shard[1]}: {len(sequences)} sequences")
    if threads and threads > 0 and total > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(threads, mp_context=context, initializer=_init_worker,
                                 initargs=(torch_threads, os.getpid())) as pool:
            futures = {
                pool.submit(run_sequence, seq, trk, debug, visdom_info, save_float, skip_existing,
                            torch_threads): (seq, trk)
                for seq, trk in jobs
            }
            for future in as_completed(futures):
                seq, trk = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    result = JobResult(trk.label, seq.name, "failed", message=traceback.format_exc()
                                       + "worker process died (out of memory or a crash in native code)")
                report.results.append(result)
                _log_result(log, len(report.results), total, result)
    else:
        for seq, trk in jobs:
            result = run_sequence(seq, trk, debug, visdom_info, save_float, skip_existing, torch_threads)
            report.results.append(result)
            _log_result(log, len(report.results), total, result)
    log(report.summary())
    return report
