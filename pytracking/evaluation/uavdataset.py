"""UAV123 and UAV123@10fps descriptors.

Layout (as released): ``<uav_path>/data_seq/UAV123/<folder>/<frame:06d>.jpg`` and
``<uav_path>/anno/UAV123/<name>.txt`` (comma-separated ``x,y,w,h``; ``NaN`` rows where the target is fully occluded
or out of view); the 10 fps variant uses ``UAV123_10fps`` in both places. Several sequences are segments of one long
video folder (``bird1_1``..``bird1_3`` all read ``bird1``); the frame ranges below are the ones the dataset's own
``configSeqs.m`` files publish for the 30 fps and 10 fps releases.
"""

from __future__ import annotations

import re
from pathlib import Path

from pytracking.evaluation.data import BenchmarkDataset, Sequence, frame_paths, read_annotation

__all__ = ["UAVDataset", "UAV10fpsDataset", "UAV_SEQUENCES"]

# name  first-last (30 fps)  first-last (10 fps)
_TABLE = """
bike1 1-3085 1-1029
bike2 1-553 1-185
bike3 1-433 1-145
bird1_1 1-253 1-85
bird1_2 775-1477 259-493
bird1_3 1573-2437 525-813
boat1 1-901 1-301
boat2 1-799 1-267
boat3 1-901 1-301
boat4 1-553 1-185
boat5 1-505 1-169
boat6 1-805 1-269
boat7 1-535 1-179
boat8 1-685 1-229
boat9 1-1399 1-467
building1 1-469 1-157
building2 1-577 1-193
building3 1-829 1-277
building4 1-787 1-263
building5 1-481 1-161
car1_1 1-751 1-251
car1_2 751-1627 251-543
car1_3 1627-2629 543-877
car2 1-1321 1-441
car3 1-1717 1-573
car4 1-1345 1-449
car5 1-745 1-249
car6_1 1-487 1-163
car6_2 487-1807 163-603
car6_3 1807-2953 603-985
car6_4 2953-3925 985-1309
car6_5 3925-4861 1309-1621
car7 1-1033 1-345
car8_1 1-1357 1-453
car8_2 1357-2575 453-859
car9 1-1879 1-627
car10 1-1405 1-469
car11 1-337 1-113
car12 1-499 1-167
car13 1-415 1-139
car14 1-1327 1-443
car15 1-469 1-157
car16_1 1-415 1-139
car16_2 415-1993 139-665
car17 1-1057 1-353
car18 1-1207 1-403
group1_1 1-1333 1-445
group1_2 1333-2515 445-839
group1_3 2515-3925 839-1309
group1_4 3925-4873 1309-1625
group2_1 1-907 1-303
group2_2 907-1771 303-591
group2_3 1771-2683 591-895
group3_1 1-1567 1-523
group3_2 1567-2827 523-943
group3_3 2827-4369 943-1457
group3_4 4369-5527 1457-1843
person1 1-799 1-267
person2_1 1-1189 1-397
person2_2 1189-2623 397-875
person3 1-643 1-215
person4_1 1-1501 1-501
person4_2 1501-2743 501-915
person5_1 1-877 1-293
person5_2 877-2101 293-701
person6 1-901 1-301
person7_1 1-1249 1-417
person7_2 1249-2065 417-689
person8_1 1-1075 1-359
person8_2 1075-1525 359-509
person9 1-661 1-221
person10 1-1021 1-341
person11 1-721 1-241
person12_1 1-601 1-201
person12_2 601-1621 201-541
person13 1-883 1-295
person14_1 1-847 1-283
person14_2 847-1813 283-605
person14_3 1813-2923 605-975
person15 1-1339 1-447
person16 1-1147 1-383
person17_1 1-1501 1-501
person17_2 1501-2347 501-783
person18 1-1393 1-465
person19_1 1-1243 1-415
person19_2 1243-2791 415-931
person19_3 2791-4357 931-1453
person20 1-1783 1-595
person21 1-487 1-163
person22 1-199 1-67
person23 1-397 1-133
truck1 1-463 1-155
truck2 1-385 1-129
truck3 1-535 1-179
truck4_1 1-577 1-193
truck4_2 577-1261 193-421
uav1_1 1-1555 1-519
uav1_2 1555-2377 519-793
uav1_3 2473-3469 825-1157
uav2 1-133 1-45
uav3 1-265 1-89
uav4 1-157 1-53
uav5 1-139 1-47
uav6 1-109 1-37
uav7 1-373 1-125
uav8 1-301 1-101
wakeboard1 1-421 1-141
wakeboard2 1-733 1-245
wakeboard3 1-823 1-275
wakeboard4 1-697 1-233
wakeboard5 1-1675 1-559
wakeboard6 1-1165 1-389
wakeboard7 1-199 1-67
wakeboard8 1-1543 1-515
wakeboard9 1-355 1-119
wakeboard10 1-469 1-157
car1_s 1-1475 1-492
car2_s 1-320 1-107
car3_s 1-1300 1-434
car4_s 1-830 1-277
person1_s 1-1600 1-534
person2_s 1-250 1-84
person3_s 1-505 1-169
"""

_CLASS_BY_PREFIX = {
    "bike": "bicycle",
    "bird": "bird",
    "boat": "boat",
    "building": "building",
    "car": "car",
    "group": "person",
    "person": "person",
    "truck": "truck",
    "uav": "drone",
    "wakeboard": "person",
}


def _parse_table() -> dict[str, tuple[str, tuple[int, int], tuple[int, int]]]:
    table = {}
    for line in _TABLE.strip().splitlines():
        name, r30, r10 = line.split()
        folder = re.sub(r"_\d+$", "", name)  # bird1_2 -> bird1; car1_s keeps its own folder
        a30, b30 = (int(v) for v in r30.split("-"))
        a10, b10 = (int(v) for v in r10.split("-"))
        table[name] = (folder, (a30, b30), (a10, b10))
    return table


UAV_SEQUENCES = _parse_table()


class UAVDataset(BenchmarkDataset):
    """UAV123 (30 fps): Mueller, Smith and Ghanem, "A Benchmark and Simulator for UAV Tracking", ECCV 2016.

    Root setting ``uav_path`` (the folder holding ``data_seq/`` and ``anno/``).
    """

    name = "uav"
    setting = "uav_path"
    subdir = "UAV123"
    _range_index = 1

    def sequence_names(self) -> list[str]:
        return list(UAV_SEQUENCES)

    def _frames(self, name: str) -> list[str]:
        folder = UAV_SEQUENCES[name][0]
        start, end = UAV_SEQUENCES[name][self._range_index]
        return frame_paths(self.root / "data_seq" / self.subdir / folder, start, end, 6, "jpg")

    def _anno(self, name: str) -> Path:
        return self.root / "anno" / self.subdir / f"{name}.txt"

    def missing_hint(self, missing: dict[str, str]) -> str | None:
        """UAV123 and UAV123@10fps live side by side; name the other when only its folders are there."""
        others = {"UAV123": ("UAV123_10fps", "uav10fps"), "UAV123_10fps": ("UAV123", "uav")}
        other_dir, other_name = others.get(self.subdir, (None, None))
        if other_dir and not (self.root / "anno" / self.subdir).is_dir() and (self.root / "anno" / other_dir).is_dir():
            return (f"This folder holds {other_dir} (anno/{other_dir}), not {self.subdir}: did you mean "
                    f"--dataset {other_name}?")
        return None

    def required_files(self, name: str) -> list[Path]:
        frames = self._frames(name)
        return [self._anno(name), Path(frames[0]), Path(frames[-1])]

    def construct(self, name: str) -> Sequence:
        frames = self._frames(name)
        gt = read_annotation(self._anno(name))[:, :4]
        if len(gt) != len(frames):
            raise ValueError(
                f"{self.name} sequence {name}: {self._anno(name)} has {len(gt)} boxes for {len(frames)} frames"
            )
        prefix = re.match(r"[a-z]+", name).group(0)
        return Sequence(name, frames, self.name, gt, object_class=_CLASS_BY_PREFIX.get(prefix, "other"))


class UAV10fpsDataset(UAVDataset):
    """UAV123@10fps: the same 123 sequences temporally subsampled to 10 fps (``UAV123_10fps`` folders)."""

    name = "uav10fps"
    subdir = "UAV123_10fps"
    _range_index = 2
