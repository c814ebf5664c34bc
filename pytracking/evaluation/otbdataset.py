"""OTB-100 (OTB-2015) descriptor.

Layout (as released): ``<otb_path>/<Folder>/img/<frame:04d>.jpg`` and ``<otb_path>/<Folder>/groundtruth_rect.txt``
(``groundtruth_rect.1.txt`` / ``.2.txt`` where one folder holds two targets).

The table below states, for each of the 100 evaluated sequences, the frame range the OTB toolkit evaluates. It was
written from the toolkit's published sequence facts and checked against the official ground-truth files (the number
of annotation lines equals ``end - start + 1`` for every sequence; see tests). Quirks encoded here:

* David covers frames 300-770, BlurCar1 247-988, BlurCar3 3-359, BlurCar4 18-397 (ground-truth line 1 = ``start``);
* Board uses 5-digit file names;
* Football1 has 81 images but 74 annotations, Freeman3/Freeman4/Diving also have more images than annotations:
  the frame range wins, extra images are ignored;
* Tiger1: the toolkit omits the first 5 frames at initialisation, so the sequence starts at frame 6 with
  annotation line 6;
* Jogging and Skating2 hold two targets each (Jogging_1/_2, Skating2_1/_2); Human4 is evaluated on its second
  target only (Human4_2).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from pytracking.evaluation.data import BenchmarkDataset, Sequence, frame_paths, read_annotation

__all__ = ["OTBDataset", "OTB_SEQUENCES", "OTBSequenceInfo"]


class OTBSequenceInfo(NamedTuple):
    name: str
    folder: str
    start: int  # first frame number of the evaluated range (matches annotation line 1)
    end: int  # last frame number, inclusive
    object_class: str
    digits: int = 4
    ext: str = "jpg"
    anno: str = "groundtruth_rect.txt"
    init_omit: int = 0  # frames the toolkit skips at the start (frames and annotation lines alike)

    @property
    def image_dir(self) -> str:
        return f"{self.folder}/img"


def _s(name: str, end: int, cls: str, start: int = 1, folder: str | None = None, **kw) -> OTBSequenceInfo:
    return OTBSequenceInfo(name, folder or name, start, end, cls, **kw)


OTB_SEQUENCES: tuple[OTBSequenceInfo, ...] = (
    _s("Basketball", 725, "person"),
    _s("Biker", 142, "person"),
    _s("Bird1", 408, "bird"),
    _s("Bird2", 99, "bird"),
    _s("BlurBody", 334, "person"),
    _s("BlurCar1", 988, "car", start=247),
    _s("BlurCar2", 585, "car"),
    _s("BlurCar3", 359, "car", start=3),
    _s("BlurCar4", 397, "car", start=18),
    _s("BlurFace", 493, "face"),
    _s("BlurOwl", 631, "other"),
    _s("Board", 698, "other", digits=5),
    _s("Bolt", 350, "person"),
    _s("Bolt2", 293, "person"),
    _s("Box", 1161, "other"),
    _s("Boy", 602, "face"),
    _s("Car1", 1020, "car"),
    _s("Car2", 913, "car"),
    _s("Car24", 3059, "car"),
    _s("Car4", 659, "car"),
    _s("CarDark", 393, "car"),
    _s("CarScale", 252, "car"),
    _s("ClifBar", 472, "other"),
    _s("Coke", 291, "other"),
    _s("Couple", 140, "person"),
    _s("Coupon", 327, "other"),
    _s("Crossing", 120, "person"),
    _s("Crowds", 347, "person"),
    _s("Dancer", 225, "person"),
    _s("Dancer2", 150, "person"),
    _s("David", 770, "face", start=300),
    _s("David2", 537, "face"),
    _s("David3", 252, "person"),
    _s("Deer", 71, "mammal"),
    _s("Diving", 215, "person"),
    _s("Dog", 127, "mammal"),
    _s("Dog1", 1350, "other"),
    _s("Doll", 3872, "other"),
    _s("DragonBaby", 113, "face"),
    _s("Dudek", 1145, "face"),
    _s("FaceOcc1", 892, "face"),
    _s("FaceOcc2", 812, "face"),
    _s("Fish", 476, "other"),
    _s("FleetFace", 707, "face"),
    _s("Football", 362, "person_head"),
    _s("Football1", 74, "person_head"),
    _s("Freeman1", 326, "face"),
    _s("Freeman3", 460, "face"),
    _s("Freeman4", 283, "face"),
    _s("Girl", 500, "face"),
    _s("Girl2", 1500, "person"),
    _s("Gym", 767, "person"),
    _s("Human2", 1128, "person"),
    _s("Human3", 1698, "person"),
    _s("Human4_2", 667, "person", folder="Human4", anno="groundtruth_rect.2.txt"),
    _s("Human5", 713, "person"),
    _s("Human6", 792, "person"),
    _s("Human7", 250, "person"),
    _s("Human8", 128, "person"),
    _s("Human9", 305, "person"),
    _s("Ironman", 166, "person"),
    _s("Jogging_1", 307, "person", folder="Jogging", anno="groundtruth_rect.1.txt"),
    _s("Jogging_2", 307, "person", folder="Jogging", anno="groundtruth_rect.2.txt"),
    _s("Jump", 122, "person"),
    _s("Jumping", 313, "face"),
    _s("KiteSurf", 84, "face"),
    _s("Lemming", 1336, "other"),
    _s("Liquor", 1741, "other"),
    _s("Man", 134, "face"),
    _s("Matrix", 100, "face"),
    _s("Mhyang", 1490, "face"),
    _s("MotorRolling", 164, "vehicle"),
    _s("MountainBike", 228, "bicycle"),
    _s("Panda", 1000, "mammal"),
    _s("RedTeam", 1918, "vehicle"),
    _s("Rubik", 1997, "other"),
    _s("Shaking", 365, "face"),
    _s("Singer1", 351, "person"),
    _s("Singer2", 366, "person"),
    _s("Skater", 160, "person"),
    _s("Skater2", 435, "person"),
    _s("Skating1", 400, "person"),
    _s("Skating2_1", 473, "person", folder="Skating2", anno="groundtruth_rect.1.txt"),
    _s("Skating2_2", 473, "person", folder="Skating2", anno="groundtruth_rect.2.txt"),
    _s("Skiing", 81, "person"),
    _s("Soccer", 392, "face"),
    _s("Subway", 175, "person"),
    _s("Surfer", 376, "person_head"),
    _s("Suv", 945, "car"),
    _s("Sylvester", 1345, "other"),
    _s("Tiger1", 354, "other", init_omit=5),
    _s("Tiger2", 365, "other"),
    _s("Toy", 271, "other"),
    _s("Trans", 124, "other"),
    _s("Trellis", 569, "face"),
    _s("Twinnings", 472, "other"),
    _s("Vase", 271, "other"),
    _s("Walking", 412, "person"),
    _s("Walking2", 500, "person"),
    _s("Woman", 597, "person"),
)

_BY_NAME = {info.name: info for info in OTB_SEQUENCES}


class OTBDataset(BenchmarkDataset):
    """OTB-100: Wu, Lim and Yang, "Object Tracking Benchmark", TPAMI 2015. Root setting ``otb_path``."""

    name = "otb"
    setting = "otb_path"

    def sequence_names(self) -> list[str]:
        return [info.name for info in OTB_SEQUENCES]

    def info(self, name: str) -> OTBSequenceInfo:
        return _BY_NAME[name]

    def _frames(self, info: OTBSequenceInfo) -> list[str]:
        return frame_paths(self.root / info.image_dir, info.start + info.init_omit, info.end, info.digits, info.ext)

    def required_files(self, name: str) -> list[Path]:
        info = self.info(name)
        frames = self._frames(info)
        return [self.root / info.folder / info.anno, Path(frames[0]), Path(frames[-1])]

    def construct(self, name: str) -> Sequence:
        info = self.info(name)
        frames = self._frames(info)
        anno_path = self.root / info.folder / info.anno
        gt = read_annotation(anno_path)[:, :4]
        # Annotation line 1 is frame `start`; the evaluated range may end before the file does (never the reverse).
        gt = gt[info.init_omit : info.init_omit + len(frames)]
        if len(gt) < len(frames):
            raise ValueError(
                f"OTB sequence {name}: {anno_path} has {len(gt) + info.init_omit} boxes, but frames "
                f"{info.start}-{info.end} need {len(frames) + info.init_omit}"
            )
        return Sequence(name, frames, self.name, gt, object_class=info.object_class)
