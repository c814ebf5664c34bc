"""ATOM options of the original framework: each one's effect against a value computed independently (by hand, by
autograd on a hand-written loss, by a least-squares solve, by explicit window formulas)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pytracking.features import augmentation as aug
from pytracking.tracker.atom import iounet as bbreg
from pytracking.tracker.atom.classifier import OnlineClassifier, direction_forget_factor
from pytracking.tracker.atom.init_samples import build_transforms, iounet_reference_shifts
from pytracking.tracker.atom.optim import Activation
from pytracking.tracker.atom.options import check_options, fixed_projection
from pytracking.tracker.atom.params import AtomFeatureParams, AtomParams
from pytracking.tracker.atom.scores import clipped_output_window, effective_window_size


# ---------------------------------------------------------------------- box refinement: step decay and spaces
def toy_x_iou(boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """IoU = -(x - 5)^2: gradient -2 (x - 5) in x only."""
    iou = -(boxes[:, 0] - 5) ** 2
    grad = torch.zeros_like(boxes)
    grad[:, 0] = -2 * (boxes[:, 0] - 5)
    return iou, grad


def test_step_decay_trace_by_hand():
    # w = h = 1, so the 'default' size factor is 1. Step length 1.5, decay 0.5. By hand:
    # box A, x: 1 (IoU -16, step +12) -> 13 (IoU -64: no rise, length 0.75, undo -12) -> 1 (IoU -16 > -64: step
    #   0.75 * 8 = +6) -> 7 (IoU -4: step 0.75 * -4 = -3) -> 4 (IoU -1: +1.5) -> 5.5; last IoU -1
    # box B, x: 4 (IoU -1, +3) -> 7 (IoU -4: undo -3, length 0.75) -> 4 (IoU -1: +1.5) -> 5.5 (IoU -0.25: -0.75)
    #   -> 4.75 (IoU -0.0625: +0.375) -> 5.125; last IoU -0.0625
    boxes = torch.tensor([[1.0, 0.0, 1.0, 1.0], [4.0, 0.0, 1.0, 1.0]])
    out, iou = bbreg.optimize_boxes(toy_x_iou, boxes, 5, 1.5, step_decay=0.5)
    assert out[:, 0].tolist() == [5.5, 5.125] and out[:, 1:].tolist() == [[0, 1, 1], [0, 1, 1]]
    assert iou.tolist() == [-1.0, -0.0625]
    # decay >= 1: every box always steps (A: 1 -> 13 -> -23 -> ..., the plain rule)
    out1, _ = bbreg.optimize_boxes(toy_x_iou, boxes[:1], 2, 1.5, step_decay=1.0)
    assert out1[0, 0].item() == 13 + 1.5 * -16


def test_step_length_pair_is_per_coordinate():
    def constant(boxes):
        return boxes[:, 0] * 0, torch.ones_like(boxes)

    out, _ = bbreg.optimize_boxes(constant, torch.tensor([[0.0, 0.0, 2.0, 4.0]]), 1, (0.5, 0.25))
    # [0.5 * 1 * w, 0.5 * 1 * h, 0.25 * 1 * w, 0.25 * 1 * h]
    assert out.tolist() == [[1.0, 2.0, 2.5, 5.0]]
    with pytest.raises(ValueError, match="box_refinement_step_length"):
        bbreg.optimize_boxes(constant, torch.zeros(1, 4), 1, (1.0, 2.0, 3.0))


def test_relative_space_one_step_by_hand():
    def constant(boxes):
        return boxes[:, 0] * 0, torch.tensor([[1.0, 2.0, 3.0, 4.0]]).expand(boxes.shape[0], 4)

    box = torch.tensor([[10.0, 20.0, 4.0, 8.0], [0.0, 0.0, 2.0, 2.0]])
    out, _ = bbreg.optimize_boxes(constant, box, 1, 0.1, space="relative")
    # box 1: sw, sh = 4, 8 (its own size); rel = [3, 3, log 4, log 8];
    # dIoU/drel = [1 * 4, 2 * 8, (3 - 0.5) * 4, (4 - 1) * 8] = [4, 16, 10, 24]; step 0.1 (no size factor)
    w, h = 4 * math.exp(1.0), 8 * math.exp(2.4)
    expected0 = [3.4 * 4 - w / 2, 4.6 * 8 - h / 2, w, h]
    # box 2 is normalised by the FIRST box's size: rel = [1/4, 1/8, log 2, log 2], grad [4, 16, 5, 6]
    w2, h2 = 2 * math.exp(0.5), 2 * math.exp(0.6)
    expected1 = [(0.25 + 0.4) * 4 - w2 / 2, (0.125 + 1.6) * 8 - h2 / 2, w2, h2]
    torch.testing.assert_close(out, torch.tensor([expected0, expected1]))
    with pytest.raises(ValueError, match="box_refinement_space"):
        bbreg.optimize_boxes(constant, box, 1, 0.1, space="log")
    with pytest.raises(ValueError, match="box_refinement_space"):
        bbreg.BoxRefinementParams(box_refinement_space="Relative")


def test_relative_space_matches_autograd_in_relative_coordinates():
    """The chain-rule gradient (fast path, works with the closed-form xywh gradient) against autograd through the
    coordinate map, over several steps with decay and undo."""
    target = torch.tensor([30.0, 40.0, 20.0, 10.0])

    def predict(bb):  # [1, N, 4] -> [1, N], smooth and not separable
        d = bb - target
        return -(d ** 2).sum(-1) / 100 + 0.01 * torch.sin(bb[..., 0] * bb[..., 3] / 50)

    boxes = torch.tensor([[25.0, 45.0, 15.0, 14.0], [35.0, 35.0, 30.0, 6.0], [28.0, 41.0, 22.0, 9.0]])
    out, iou = bbreg.optimize_boxes(bbreg.autograd_iou_and_grad(predict), boxes, 6, (0.8, 0.3), step_decay=0.5,
                                    space="relative")
    # straightforward twin: gradient ascent on predict(from_rel(u)) with autograd w.r.t. u
    sz = boxes[:1, 2:]
    u = torch.cat(((boxes[:, :2] + boxes[:, 2:] / 2) / sz, boxes[:, 2:].log()), 1).double()
    step = torch.tensor([0.8, 0.8, 0.3, 0.3], dtype=torch.float64).repeat(3, 1)
    prev_iou = torch.full((3,), -math.inf, dtype=torch.float64)
    prev_step = torch.zeros(3, 4, dtype=torch.float64)
    for _ in range(6):
        uu = u.clone().requires_grad_(True)
        wh = uu[:, 2:].exp()
        bb = torch.cat((uu[:, :2] * sz.double() - wh / 2, wh), 1)
        val = predict(bb.unsqueeze(0))[0]
        (g,) = torch.autograd.grad(val.sum(), uu)
        better = (val.detach() > prev_iou).unsqueeze(1)
        step = torch.where(better, step, step * 0.5)
        upd = torch.where(better, step * g, -prev_step)
        u, prev_iou, prev_step = u + upd, val.detach(), upd
    wh = u[:, 2:].exp()
    torch.testing.assert_close(out.double(), torch.cat((u[:, :2] * sz.double() - wh / 2, wh), 1), rtol=1e-5,
                               atol=1e-4)
    torch.testing.assert_close(iou.double(), prev_iou, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- IoU-Net reference
def test_iounet_reference_views_stop_at_first_other_kind():
    g = torch.Generator().manual_seed(0)
    augmentation = {"shift": [(4, -2)], "relativeshift": [(0.5, -0.5)], "fliplr": True, "blur": [1.0, 2.0],
                    "scale": [1.1], "rotate": [5]}
    transforms = build_transforms(augmentation, (64, 64), None, 1 / 3, g)
    shifts = iounet_reference_shifts(transforms)
    kinds = [type(t) for t in transforms]
    # identity, shift, relative shift (int(0.5 * 64 / 2) = 16), flip, 2 blurs; then scale stops the list
    assert kinds[:6] == [aug.Identity, aug.Translation, aug.Translation, aug.FlipHorizontal, aug.Blur, aug.Blur]
    assert shifts[:3] == [(0, 0), (4, -2), (16, -16)] and len(shifts) == 6
    assert shifts[3:] == [transforms[3].shift, transforms[4].shift, transforms[5].shift]
    rot_first = build_transforms({"shift": [(1, 1)], "rotate": [5], "blur": [1.0]}, (64, 64), None, 0, g)
    assert iounet_reference_shifts(rot_first) == [(0, 0), (1, 1), (0, 0)]  # blur comes before rotation
    assert iounet_reference_shifts([aug.Rotate(5), aug.Identity()]) == []


# ---------------------------------------------------------------------- classifier: optimiser and projection
def conv_same(x, f):
    k = f.shape[-1]
    return F.conv2d(x, f, padding=k // 2)  # odd k: 'same'


def tiny_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 5, 6, 6, generator=g)
    y = torch.randn(3, 1, 6, 6, generator=g)
    return x, y


def options(**values) -> AtomParams:
    p = AtomParams()
    for k, v in values.items():
        setattr(p, k, v)
    return p


def make_classifier(p: AtomParams, response="none", **param_overrides):
    p.init_CG_iter, p.init_GN_iter, p.sample_memory_size = 2, 1, 10
    p.fletcher_reeves, p.standard_alpha = False, True
    for k, v in param_overrides.items():
        setattr(p, k, v)
    fp = AtomFeatureParams(filter_reg=0.1, projection_reg=0.01, compressed_dim=2, filter_size=3, learning_rate=0.01)
    return OnlineClassifier(p, fp, Activation("none"), Activation(response), torch.Generator().manual_seed(7))


def initial_draws(dim_in=5, dim_out=2, k=3):
    """The classifier's random initialisation replayed: projection randn / sqrt(C), then filter randn / numel."""
    g = torch.Generator().manual_seed(7)
    P = torch.randn(dim_out, dim_in, 1, 1, generator=g) / math.sqrt(dim_in)
    f = torch.randn(1, dim_out, k, k, generator=g) / (dim_out * k * k)
    return f, P


def test_gradient_descent_optimizer_first_frame_and_online():
    x, y = tiny_problem()
    opts = options(optimizer="GradientDescentL2", optimizer_step_length=0.02, optimizer_momentum=0.5)
    c = make_classifier(opts)
    c.initialize(x, y)

    def joint_loss(f, P):
        s = conv_same(F.conv2d(x, P), f)
        return ((s - y) ** 2).sum() / 3 + 0.1 * (f ** 2).sum() + 0.01 * (P ** 2).sum()

    f, P = initial_draws()
    direction = None
    for _ in range(2):  # init_CG_iter // init_GN_iter = 2 descent steps with momentum
        f_, P_ = f.clone().requires_grad_(True), P.clone().requires_grad_(True)
        gf, gP = torch.autograd.grad(joint_loss(f_, P_), (f_, P_))
        direction = (gf, gP) if direction is None else (gf + 0.5 * direction[0], gP + 0.5 * direction[1])
        f, P = f - 0.02 * direction[0], P - 0.02 * direction[1]
    torch.testing.assert_close(c.filter, f, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(c.projection_matrix, P, rtol=1e-5, atol=1e-6)

    # online: one descent step of the filter-only problem over the memory (weights 1/3, fixed projection)
    xp = F.conv2d(x, P)
    f_ = f.clone().requires_grad_(True)
    (gf,) = torch.autograd.grad(((conv_same(xp, f_) - y) ** 2).sum() / 3 + 0.1 * (f_ ** 2).sum(), f_)
    c.run(1)
    torch.testing.assert_close(c.filter, f - 0.02 * gf, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="optimizer_step_length"):
        check_options(options(optimizer="GradientDescentL2"))
    with pytest.raises(ValueError, match="optimizer"):
        make_classifier(options(optimizer="Adam"))


def filter_least_squares(xp, y, w, reg, k):
    """Exact minimiser of sum_j w_j ||conv(xp_j, f) - y_j||^2 + reg ||f||^2 (float64 normal equations)."""
    d = xp.shape[1]
    cols = []
    for i in range(d * k * k):
        e = torch.zeros(d * k * k, dtype=torch.float64)
        e[i] = 1
        cols.append((conv_same(xp.double(), e.reshape(1, d, k, k)) * math.sqrt(w)).reshape(-1))
    a = torch.stack(cols, 1)
    lhs = a.t() @ a + reg * torch.eye(d * k * k, dtype=torch.float64)
    return torch.linalg.solve(lhs, a.t() @ (y.double().reshape(-1) * math.sqrt(w))).reshape(1, d, k, k)


def test_fixed_projection_solves_the_filter_only_problem():
    x, y = tiny_problem(1)
    c = make_classifier(options(update_projection_matrix=False), init_CG_iter=30)
    c.initialize(x, y)
    _, P = initial_draws()
    assert torch.equal(c.projection_matrix, P)  # never updated
    f = filter_least_squares(F.conv2d(x, P), y, 1 / 3, 0.1, 3)  # 18 unknowns: 30 CG iterations solve it
    torch.testing.assert_close(c.filter.double(), f, rtol=1e-4, atol=1e-5)

    raw = make_classifier(options(use_projection_matrix=False), init_CG_iter=60)
    raw.initialize(x, y)
    assert raw.projection_matrix is None and raw.filter.shape == (1, 5, 3, 3)
    assert torch.equal(raw.project(x), x)
    torch.testing.assert_close(raw.filter.double(), filter_least_squares(x, y, 1 / 3, 0.1, 3), rtol=1e-4,
                               atol=1e-5)


def test_cg_forgetting_rate():
    assert direction_forget_factor(None, 0.01) == 0.0
    assert direction_forget_factor(2.0, 1.0) == 0.0 and direction_forget_factor(2.0, 1.5) == 0.0
    assert direction_forget_factor(2.0, 0.01) == pytest.approx(0.99 ** 2, rel=1e-12)
    x, y = tiny_problem()
    c = make_classifier(options(), CG_forgetting_rate=3)
    c.initialize(x, y)
    assert c.filter_optimizer.direction_forget_factor == pytest.approx(0.99 ** 3, rel=1e-12)


# ---------------------------------------------------------------------- windows
def hann_centred(n: int) -> list[float]:
    return [0.5 * (1 - math.cos(2 * math.pi * (i + 1) / (n + 1))) for i in range(n)]


def test_clipped_window_by_hand():
    # output 10, effective area 3 of a search area 5: effective size 6 (difference 4, even), padded by 2 each side
    assert effective_window_size(10, 3 / 5) == 6
    assert effective_window_size(288, 4 / 5) == 230  # 230.4 -> 230 (difference 58)
    assert effective_window_size(288, 0.8021) == 232  # 231.005: 232 is the nearest with an even difference
    assert effective_window_size(11, 9 / 11) == 9 and effective_window_size(12, 10 / 12) == 10
    w6 = hann_centred(6)
    padded = [w6[0]] * 2 + w6 + [w6[-1]] * 2  # edge replication
    rolled = padded[5:] + padded[:5]  # uncentred: index 0 <- index 10 // 2
    expected = torch.tensor(rolled).reshape(-1, 1) * torch.tensor(rolled).reshape(1, -1)
    torch.testing.assert_close(clipped_output_window((10, 10), 3 / 5), expected)
    with pytest.raises(ValueError, match="effective_search_area"):
        clipped_output_window((10, 10), 1.2)


def test_options_defaults_and_checks():
    p = AtomParams()
    assert not (p.iounet_augmentation or p.iounet_not_use_reference or p._feature_window or p.use_clipped_window)
    assert (p.optimizer, p.box_refinement_space, p.CG_forgetting_rate) == ("GaussNewtonCG", "default", None)
    assert not fixed_projection(p) and fixed_projection(options(update_projection_matrix=False))
    assert fixed_projection(options(use_projection_matrix=False))
    check_options(p)
    for bad, name in (({"use_clipped_window": True}, "effective_search_area"),
                      ({"box_refinement_space": "log"}, "box_refinement_space"),
                      ({"feature_window": True}, "_feature_window")):
        with pytest.raises(ValueError, match=name):
            check_options(options(**bad))


def np_hann2d(h: int, w: int) -> torch.Tensor:
    return torch.from_numpy(np.outer(hann_centred(h), hann_centred(w)).astype(np.float32))


# ---------------------------------------------------------------------- in the tracker (random-weight network)
@pytest.fixture(scope="module")
def tracked_with_options(shared_data):
    import cv2

    from ltr.models.bbreg.atom import atom_resnet18
    from pytracking.features.extractors import ATOMResNet18
    from pytracking.parameter.atom.default import base_parameters
    from pytracking.tracker.atom.atom import ATOM

    seq = shared_data / "otb" / "Crossing"
    ims = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
           for i in (1, 2)]
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=False).eval()
    params = base_parameters()
    params.use_gpu = False
    params.features = ATOMResNet18(net=net, fparams=params.features.fparams, channels_last=True)
    params.augmentation = {"shift": [(8, -16)], "fliplr": True, "rotate": [5], "blur": [1.0], "dropout": (1, 0.2)}
    params.random_shift_factor = 0  # flip and blur unshifted
    params.init_CG_iter, params.init_GN_iter = 4, 2
    params.iounet_augmentation = True
    params.iounet_not_use_reference = True
    params._feature_window = True
    params.window_output = True
    params.use_clipped_window = True
    params.effective_search_area = 4  # of search_area_scale 5
    tracker = ATOM(params)

    calls = {"modulation": [], "extract": [], "project": []}
    iou = net.bb_regressor
    get_modulation = iou.get_modulation
    iou.get_modulation = lambda feats, boxes: (calls["modulation"].append(([f.clone() for f in feats], boxes.clone()))
                                               or get_modulation(feats, boxes))
    extract = params.features.extract
    params.features.extract = lambda im: calls["extract"].append(extract(im)) or calls["extract"][-1]
    box = [205.0, 151.0, 17.0, 50.0]
    tracker.initialize(ims[0], {"init_bbox": box})
    project = tracker.classifier.project
    tracker.classifier.project = lambda x: calls["project"].append(x) or project(x)
    tracker.track(ims[1])
    iou.get_modulation = get_modulation
    return tracker, calls, get_modulation


def test_iounet_augmentation_and_constant_reference_in_tracker(tracked_with_options):
    tracker, calls, get_modulation = tracked_with_options
    (feats, boxes), = calls["modulation"]
    # views in order: identity, translation (8, -16), flip, blur; the rotation ends the list
    assert boxes.shape == (4, 4) and feats[0].shape[0] == 4
    base = boxes[0]
    torch.testing.assert_close(boxes[1], base + torch.tensor([-16.0, 8.0, 0.0, 0.0]))  # x by cols, y by rows
    torch.testing.assert_close(boxes[2:], base.expand(2, 4))
    # mean of the per-view modulation vectors, each computed alone, then the constant replacement
    per_view = [get_modulation([f[i:i + 1] for f in feats], boxes[i:i + 1]) for i in range(4)]
    for level, got in enumerate(tracker.target_feat):
        mean = torch.stack([v[level][0] for v in per_view]).mean(0).double()
        value = math.sqrt(float((mean ** 2).sum())) / mean.numel()
        assert got.shape == (1, mean.shape[0], 1, 1)
        torch.testing.assert_close(got.double(), torch.full_like(got.double(), value), rtol=1e-5, atol=0)


def test_feature_window_applied_before_projection(tracked_with_options):
    tracker, calls, _ = tracked_with_options
    window = np_hann2d(18, 18)
    # first frame: the memory holds the projected windowed features of the 5 views (+1 dropout copy of view 0)
    init_feats = calls["extract"][0]
    assert init_feats.shape[0] == 5 and tracker.classifier.memory.num_init == 6
    torch.testing.assert_close(tracker.classifier.memory.samples[:5],
                               F.conv2d(init_feats * window, tracker.classifier.projection_matrix),
                               rtol=1e-5, atol=1e-6)
    # tracking: what is projected is the extracted features times the window
    torch.testing.assert_close(calls["project"][0], calls["extract"][1] * window, rtol=1e-6, atol=1e-7)


def test_clipped_output_window_in_tracker(tracked_with_options):
    tracker, _, _ = tracked_with_options
    # output 288, effective 288 * 4 / 5 = 230.4 -> 230: Hann(230) padded by 29 on each side, shifted by -144
    w1 = hann_centred(230)
    padded = [w1[0]] * 29 + w1 + [w1[-1]] * 29
    rolled = torch.tensor(padded[144:] + padded[:144])
    torch.testing.assert_close(tracker.output_window, rolled.reshape(-1, 1) * rolled.reshape(1, -1))


# ---------------------------------------------------------------------- an original-style parameter file
def test_original_style_parameter_file_runs_with_every_option(shared_data):
    import importlib.util
    from pathlib import Path

    import cv2

    from ltr.models.bbreg.atom import atom_resnet18
    from pytracking.features.extractors import ATOMResNet18
    from pytracking.libs.optimization import GradientDescentL2
    from pytracking.tracker.atom.atom import ATOM

    path = Path(__file__).parent / "fixtures" / "atom_original_style.py"
    spec = importlib.util.spec_from_file_location("atom_original_style", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = module.parameters()
    params.use_gpu = False
    torch.manual_seed(0)
    params.features = ATOMResNet18(net=atom_resnet18(backbone_pretrained=False).eval(),
                                   fparams=params.features.fparams, channels_last=True)
    seq = shared_data / "otb" / "Crossing"
    ims = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
           for i in (1, 2, 3)]
    tracker = ATOM(params)
    tracker.initialize(ims[0], {"init_bbox": [205.0, 151.0, 17.0, 50.0]})
    boxes = [tracker.track(im)["target_bbox"] for im in ims[1:]]
    assert all(math.isfinite(v) for b in boxes for v in b) and all(b[2] > 0 and b[3] > 0 for b in boxes)
    # every setting reached the tracker with the original's meaning
    bp = tracker.box_params
    assert (bp.box_refinement_space, bp.box_refinement_step_length, bp.box_refinement_step_decay) == (
        "relative", (1.0, 0.5), 0.8)
    o = tracker.params
    assert o.iounet_augmentation and o.iounet_not_use_reference and o._feature_window and fixed_projection(o)
    assert o.iounet_use_log_scale and not o.feature_window  # the original's never-read names are accepted
    assert isinstance(tracker.classifier.filter_optimizer, GradientDescentL2)
    gd = tracker.classifier.filter_optimizer
    assert (gd.step_length, gd.momentum) == (1e-4, 0.9)
    # projection fixed at its PCA initialisation: orthonormal rows
    pm = tracker.classifier.projection_matrix.reshape(64, -1)
    torch.testing.assert_close(pm @ pm.t(), torch.eye(64), atol=1e-4, rtol=0)
    w = hann_centred(196)  # 224 * 3.5 / 4 = 196 (difference 28, even)
    padded = torch.tensor([w[0]] * 14 + w + [w[-1]] * 14)
    rolled = torch.roll(padded, -112)
    torch.testing.assert_close(tracker.output_window, rolled.reshape(-1, 1) * rolled.reshape(1, -1))
    t0 = tracker.target_feat[0]
    torch.testing.assert_close(t0, t0.flatten()[0].expand_as(t0))  # constant reference vectors
    assert tracker.loc_params.displacement_scale == 0.7  # the original's spelling 'dispalcement_scale'


def test_removed_split_switch_warns_and_changes_nothing(shared_data):
    """``iounet_split_fc`` (an earlier release's speed switch) still loads, warns when True, and has no effect."""
    import warnings

    import cv2

    from ltr.models.bbreg.atom import atom_resnet18
    from pytracking.features.extractors import ATOMResNet18
    from pytracking.parameter.atom.default import base_parameters
    from pytracking.tracker.atom.atom import ATOM

    seq = shared_data / "otb" / "Crossing"
    ims = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
           for i in (1, 2, 3)]
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=False).eval()
    results = []
    for split in (False, True):
        params = base_parameters()
        params.use_gpu = False
        params.features = ATOMResNet18(net=net, fparams=params.features.fparams, channels_last=True)
        params.init_CG_iter, params.init_GN_iter = 4, 2
        params.iounet_split_fc = split
        tracker = ATOM(params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tracker.initialize(ims[0], {"init_bbox": [205.0, 151.0, 17.0, 50.0]})
        assert any("iounet_split_fc" in str(w.message) for w in caught) == split
        results.append([tracker.track(im)["target_bbox"] for im in ims[1:]])
    assert results[1] == results[0]


def test_original_style_file_with_unsupported_names_reports_each():
    import warnings

    from pytracking.tracker.atom.atom import as_atom_params
    from pytracking.utils.params import TrackerParams, UnknownParameterError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = TrackerParams()
    legacy.search_area_scale = 4
    legacy.use_hn_fix = True  # names from other trackers' files: not ATOM settings
    legacy.score_preprocess = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(UnknownParameterError) as info:
            as_atom_params(legacy)
    message = str(info.value)
    assert "'use_hn_fix'" in message and "'score_preprocess'" in message
