"""The generated 'synthetic' evaluation dataset and the folder/NfS/GOT-10k/TrackingNet descriptors on built files."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest

from ltr.dataset import SyntheticVideo
from pytracking.evaluation.data import MissingSequencesError
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.nfsdataset import parse_nfs_annotation
from pytracking.evaluation.syntheticdataset import SYNTHETIC_EVAL_SEED


def test_synthetic_matches_generator_with_its_own_seed():
    seqs = get_dataset("synthetic", num_sequences=2, seq_len=6)
    assert seqs.names() == ["synthetic_000", "synthetic_001"]
    gen = SyntheticVideo(num_sequences=2, seq_len=6, seed=SYNTHETIC_EVAL_SEED)
    frames, _, _ = gen.get_frames(1, [0, 5])
    seq = seqs[1]
    np.testing.assert_array_equal(seq.read_frame(0), frames[0])
    np.testing.assert_array_equal(seq.read_frame(5), frames[1])
    np.testing.assert_array_equal(seq.ground_truth_rect, gen.get_sequence_info(1)["bbox"].numpy())
    # not the training videos (training uses the generator's default seed 0 unless configured otherwise)
    train_first, _, _ = SyntheticVideo(num_sequences=2, seq_len=6, seed=0).get_frames(1, [0])
    assert not np.array_equal(train_first[0], frames[0])
    # picklable for the process pool without shipping rendered frames
    clone = pickle.loads(pickle.dumps(seq))
    assert clone.frame_reader._frames is None
    np.testing.assert_array_equal(clone.read_frame(5), frames[1])


def test_folder_dataset_layouts_and_missing(tmp_path):
    root = tmp_path / "vids"
    (root / "one" / "img").mkdir(parents=True)
    for i in (1, 2, 10):  # natural sort: 1, 2, 10 (not 1, 10, 2)
        cv2.imwrite(str(root / "one" / "img" / f"f{i}.jpg"), np.zeros((8, 8, 3), np.uint8))
    (root / "one" / "groundtruth_rect.txt").write_text("1\t2\t3\t4\n")
    (root / "two").mkdir()
    cv2.imwrite(str(root / "two" / "00001.png"), np.zeros((8, 8, 3), np.uint8))
    (root / "two" / "groundtruth.txt").write_text("0,0,2,0,2,2,0,2\n")  # polygon -> box (0, 0, 2, 2)
    (root / "three").mkdir()  # no images, no annotation
    with pytest.raises(MissingSequencesError) as err:
        get_dataset(f"folder:{root}")
    assert list(err.value.missing) == ["three"]
    seqs = get_dataset(f"folder:{root}", sequences=["one", "two"])
    assert [p.rsplit("/", 1)[1] for p in seqs["one"].frames] == ["f1.jpg", "f2.jpg", "f10.jpg"]
    assert seqs["one"].init_info() == {"init_bbox": [1.0, 2.0, 3.0, 4.0]}
    assert seqs["two"].ground_truth_rect.tolist() == [[0.0, 0.0, 2.0, 2.0]]


def test_nfs_raw_annotation_240fps_is_subsampled(tmp_path):
    path = tmp_path / "a.txt"
    # 240 fps annotation for 3 images at 30 fps: frames 1, 9, 17 are 30 fps frames 1, 2, 3
    lines = [f'1 {f} {2 * f} {f + 10} {2 * f + 20} {f} 0 0 0 "person"' for f in range(1, 20)]
    path.write_text("\n".join(lines))
    boxes = parse_nfs_annotation(path, 3)
    assert boxes.tolist() == [[1, 2, 10, 20], [9, 18, 10, 20], [17, 34, 10, 20]]


def test_got10k_test_and_trackingnet_layouts(tmp_path):
    got = tmp_path / "got10k" / "test" / "GOT-10k_Test_000001"
    got.mkdir(parents=True)
    for i in range(1, 4):
        cv2.imwrite(str(got / f"{i:08d}.jpg"), np.zeros((8, 8, 3), np.uint8))
    (got / "groundtruth.txt").write_text("1,2,3,4\n")
    (tmp_path / "got10k" / "test" / "list.txt").write_text("GOT-10k_Test_000001\n")
    seq = get_dataset("got10k_test", root=tmp_path / "got10k")[0]
    assert len(seq.frames) == 3 and seq.ground_truth_rect.shape == (1, 4) and seq.dataset == "got10k_test"

    tn = tmp_path / "tn" / "TEST"
    (tn / "frames" / "vid").mkdir(parents=True)
    (tn / "anno").mkdir()
    for i in range(12):
        cv2.imwrite(str(tn / "frames" / "vid" / f"{i}.jpg"), np.zeros((8, 8, 3), np.uint8))
    (tn / "anno" / "vid.txt").write_text("5,6,7,8\n")
    seq = get_dataset("trackingnet", root=tmp_path / "tn")[0]
    assert [p.rsplit("/", 1)[1] for p in seq.frames[:3]] == ["0.jpg", "1.jpg", "2.jpg"]
    assert seq.frames[-1].endswith("/11.jpg") and seq.init_info() == {"init_bbox": [5.0, 6.0, 7.0, 8.0]}
