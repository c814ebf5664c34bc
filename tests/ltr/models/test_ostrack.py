"""OSTrack network: released key names/shapes, CE keep counts and restore order, head decoding, checkpoint loading."""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from ltr.admin.loading import load_network
from ltr.models.backbone.resnet import PretrainedWeightsError
from ltr.models.backbone.vit import ctr_point_template_mask, num_kept_tokens
from ltr.models.registry import build_network, registered_names
from ltr.models.tracking.center_head import cal_bbox
from ltr.models.tracking.ostrack import (
    load_mae_pretrained,
    ostrack,
    ostrack_vitb_256,
    ostrack_vitb_256_ce,
    ostrack_vitb_384_ce,
)

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs"


def _spec_keys(name: str) -> list[tuple[str, tuple[int, ...]]]:
    path = SPECS / name
    if not path.is_file():
        pytest.skip(f"spec key list not found at {path}")
    out = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, shape, _dtype = line.split("\t")
        out.append((key, tuple(int(s) for s in shape.strip("()").split(",") if s.strip())))
    return out


def _meta(fn, **kwargs):
    with torch.device("meta"):
        return fn(**kwargs)


@pytest.mark.parametrize(("ctor", "spec"), [(ostrack_vitb_256_ce, "ostrack_keys_vitb_256_ce.txt"),
                                            (ostrack_vitb_384_ce, "ostrack_keys_vitb_384_ce.txt"),
                                            (ostrack_vitb_256, "ostrack_keys_vitb_256_ce.txt")])
def test_state_dict_names_and_shapes_equal_the_released_lists(ctor, spec) -> None:
    sd = _meta(ctor).state_dict()
    assert [(k, tuple(v.shape)) for k, v in sd.items()] == _spec_keys(spec)


def test_parameter_counts_match_the_published_totals() -> None:
    for ctor, n_params in ((ostrack_vitb_256_ce, 92_518_533), (ostrack_vitb_384_ce, 92_825_733)):
        net = _meta(ctor)
        assert len(net.state_dict()) == 242
        assert sum(p.numel() for p in net.parameters()) == n_params
        assert sum(b.numel() for b in net.buffers()) == 2892


def test_constructors_are_registered_and_rebuild_from_their_record() -> None:
    names = registered_names()
    for n in ("ostrack", "ostrack_vitb_256_ce", "ostrack_vitb_384_ce", "ostrack_vitb_256"):
        assert n in names
    net = ostrack(template_size=16, search_size=32, patch_size=8, embed_dim=16, depth=2, num_heads=2,
                  head_channels=16, ce_loc=(1,), pretrain_img_size=32)
    again = build_network(net.constructor.name, net.constructor.kwargs)
    assert again.backbone.ce_loc == (1,) and again.feat_size == 4


def test_ctr_point_mask_selects_the_published_centre_token() -> None:
    for size, idx in ((128, 27), (192, 65)):
        m = ctr_point_template_mask(3, size, 16)
        assert m.shape == (3, (size // 16) ** 2) and m.dtype == torch.bool
        assert m.sum().item() == 3 and bool(m[:, idx].all())


def test_keep_count_uses_float64_ceil() -> None:
    counts = [256]
    for _ in range(3):
        counts.append(num_kept_tokens(counts[-1], 0.7))
    assert counts == [256, 180, 126, 89]  # float32 would give 127 after 180
    counts = [576]
    for _ in range(3):
        counts.append(num_kept_tokens(counts[-1], 0.7))
    assert counts == [576, 404, 283, 199]


def test_head_decodes_a_hand_made_map() -> None:
    f = 4
    score = torch.full((2, 1, f, f), 0.1)
    size = torch.rand(2, 2, f, f)
    offset = torch.rand(2, 2, f, f)
    score[0, 0, 2, 1] = 0.9  # sample 0: row 2, col 1
    size[0, :, 2, 1] = torch.tensor([0.3, 0.4])
    offset[0, :, 2, 1] = torch.tensor([0.25, 0.5])
    score[1, 0, 0, 3] = 0.8  # sample 1: row 0, col 3
    size[1, :, 0, 3] = torch.tensor([0.6, 0.2])
    offset[1, :, 0, 3] = torch.tensor([-0.5, 0.75])
    boxes = cal_bbox(score, size, offset)
    expected = torch.tensor([[(1 + 0.25) / 4, (2 + 0.5) / 4, 0.3, 0.4], [(3 - 0.5) / 4, (0 + 0.75) / 4, 0.6, 0.2]])
    assert torch.allclose(boxes, expected, atol=1e-7)


def _tiny(**kw):
    args = dict(template_size=32, search_size=64, patch_size=4, embed_dim=16, depth=4, num_heads=2, mlp_ratio=2.0,
                ce_loc=(1, 2, 3), head_channels=16, pretrain_img_size=32, drop_path_rate=0.0)
    args.update(kw)
    return ostrack(**args)


def _reference_backbone(vit, z, x, mask, ratio):
    """Per-sample brute force: boolean keep masks in raster order (no sorting), attention written out by hand."""
    feats = []
    for b in range(x.shape[0]):
        pe = vit.patch_embed.proj
        tz = torch.nn.functional.conv2d(z[b:b + 1], pe.weight, pe.bias, stride=vit.patch_size)
        tx = torch.nn.functional.conv2d(x[b:b + 1], pe.weight, pe.bias, stride=vit.patch_size)
        tz = tz.flatten(2).transpose(1, 2)[0] + vit.pos_embed_z[0]
        tx = tx.flatten(2).transpose(1, 2)[0] + vit.pos_embed_x[0]
        nz, ns = tz.shape[0], tx.shape[0]
        alive = torch.ones(ns, dtype=torch.bool)
        tok = torch.cat([tz, tx])
        for blk in vit.blocks:
            y = torch.nn.functional.layer_norm(tok, (tok.shape[1],), blk.norm1.weight, blk.norm1.bias, 1e-6)
            qkv = y @ blk.attn.qkv.weight.T + blk.attn.qkv.bias
            h = blk.attn.num_heads
            d = tok.shape[1] // h
            q, k, v = (qkv[:, i * tok.shape[1]:(i + 1) * tok.shape[1]].reshape(-1, h, d).transpose(0, 1)
                       for i in range(3))
            a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
            o = (a @ v).transpose(0, 1).reshape(-1, tok.shape[1])
            tok = tok + o @ blk.attn.proj.weight.T + blk.attn.proj.bias
            if blk.keep_ratio < 1:
                n_cur = int(alive.sum())
                n_keep = math.ceil(ratio * n_cur)
                score = a[:, :nz, nz:][:, mask[b]].mean(dim=1).mean(dim=0)  # (n_cur,)
                keep_local = torch.zeros(n_cur, dtype=torch.bool)
                keep_local[torch.topk(score, n_keep).indices] = True
                alive_idx = alive.nonzero()[:, 0]
                alive[alive_idx[~keep_local]] = False
                tok = torch.cat([tok[:nz], tok[nz:][keep_local]])
            y = torch.nn.functional.layer_norm(tok, (tok.shape[1],), blk.norm2.weight, blk.norm2.bias, 1e-6)
            hid = torch.nn.functional.gelu(y @ blk.mlp.fc1.weight.T + blk.mlp.fc1.bias)
            tok = tok + hid @ blk.mlp.fc2.weight.T + blk.mlp.fc2.bias
        tok = torch.nn.functional.layer_norm(tok, (tok.shape[1],), vit.norm.weight, vit.norm.bias, 1e-6)
        full = torch.zeros(nz + ns, tok.shape[1])
        full[:nz] = tok[:nz]
        full[nz:][alive] = tok[nz:]
        feats.append((full, alive))
    return feats


def test_ce_keeps_ceil_counts_and_restores_eliminated_tokens_as_zeros_in_raster_order() -> None:
    torch.manual_seed(0)
    net = _tiny().eval()
    z, x = torch.randn(2, 3, 32, 32), torch.randn(2, 3, 64, 64)
    mask = net.template_mask(2)
    with torch.no_grad():
        out = net(z, x, ce_template_mask=mask)
        ref = _reference_backbone(net.backbone, z, x, mask, 0.7)
    removed = out["removed_indexes_s"]
    assert [r.shape[1] for r in removed] == [256 - 180, 180 - 126, 126 - 89]
    feat = out["backbone_feat"]
    assert feat.shape == (2, 64 + 256, 16)
    for b, (ref_feat, alive) in enumerate(ref):
        all_removed = torch.cat([r[b] for r in removed])
        assert sorted(all_removed.tolist()) == sorted((~alive).nonzero()[:, 0].tolist())
        assert int(alive.sum()) == 89
        assert bool((feat[b, 64:][~alive] == 0).all())
        assert torch.allclose(feat[b], ref_feat, atol=1e-5)
    assert out["attn"].shape == (2, 2, 64 + 126, 64 + 126)  # CE in the last block runs after its attention


def test_keep_rate_override_and_no_ce_variant() -> None:
    torch.manual_seed(1)
    net = _tiny().eval()
    z, x = torch.randn(1, 3, 32, 32), torch.randn(1, 3, 64, 64)
    mask = net.template_mask(1)
    with torch.no_grad():
        full = net(z, x, ce_template_mask=mask, ce_keep_rate=1.0)
        half = net(z, x, ce_template_mask=mask, ce_keep_rate=0.5)
        ref_half = _reference_backbone(net.backbone, z, x, mask, 0.5)
        no_ce = _tiny(ce_loc=())
        no_ce.load_state_dict(net.state_dict())
        plain = no_ce.eval()(z, x)
    assert full["removed_indexes_s"] == []
    assert torch.allclose(full["backbone_feat"], plain["backbone_feat"], atol=1e-6)
    assert [r.shape[1] for r in half["removed_indexes_s"]] == [128, 64, 32]
    assert torch.allclose(half["backbone_feat"][0], ref_half[0][0], atol=1e-5)


def test_forward_outputs_follow_the_decoded_raw_score_map() -> None:
    torch.manual_seed(2)
    net = _tiny().eval()
    with torch.no_grad():
        out = net(torch.randn(2, 3, 32, 32), torch.randn(2, 3, 64, 64), net.template_mask(2))
    assert out["score_map"].shape == (2, 1, 16, 16) and out["size_map"].shape == (2, 2, 16, 16)
    assert out["offset_map"].shape == (2, 2, 16, 16) and out["pred_boxes"].shape == (2, 1, 4)
    s = out["score_map"]
    assert float(s.min()) >= 1e-4 and float(s.max()) <= 1 - 1e-4
    for b in range(2):
        idx = int(s[b, 0].flatten().argmax())
        y, xx = divmod(idx, 16)
        ox, oy = out["offset_map"][b, :, y, xx].tolist()
        w, h = out["size_map"][b, :, y, xx].tolist()
        assert out["pred_boxes"][b, 0].tolist() == pytest.approx([(xx + ox) / 16, (y + oy) / 16, w, h], abs=1e-6)


def _cubic_weights(t: float, a: float = -0.75) -> list[float]:
    def k(d: float) -> float:
        d = abs(d)
        if d <= 1:
            return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
        if d < 2:
            return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
        return 0.0
    return [k(t + 1), k(t), k(1 - t), k(2 - t)]


def _bicubic_np(grid: np.ndarray, out: int) -> np.ndarray:
    """Keys cubic convolution (a=-0.75), half-pixel centres, border-replicated taps; grid (C, n, n)."""
    n = grid.shape[1]

    def axis_matrix() -> np.ndarray:
        m = np.zeros((out, n))
        for i in range(out):
            src = (i + 0.5) * n / out - 0.5
            i0 = math.floor(src)
            for j, w in zip(range(i0 - 1, i0 + 3), _cubic_weights(src - i0), strict=True):
                m[i, min(max(j, 0), n - 1)] += w
        return m
    m = axis_matrix()
    return np.einsum("ij,cjk,lk->cil", m, grid, m)


def test_mae_weights_load_and_derive_the_two_positional_embeddings(tmp_path: Path) -> None:
    torch.manual_seed(3)
    net = _tiny()
    own = net.backbone.state_dict()
    mae = {k: torch.randn_like(v) for k, v in own.items() if k not in ("pos_embed_z", "pos_embed_x")}
    mae["decoder_embed.weight"] = torch.randn(4, 4)  # MAE decoder keys are ignored
    path = tmp_path / "mae_pretrain_vit_base.pth"
    torch.save({"model": mae}, path)
    load_mae_pretrained(net.backbone, path)
    assert torch.equal(net.backbone.blocks[2].attn.qkv.weight, mae["blocks.2.attn.qkv.weight"])
    grid = mae["pos_embed"][0, 1:].T.reshape(16, 8, 8).double().numpy()  # 32 px / patch 4 -> 8x8, class slot skipped
    for name, side in (("pos_embed_z", 8), ("pos_embed_x", 16)):
        expected = _bicubic_np(grid, side).reshape(16, side * side).T
        assert np.allclose(getattr(net.backbone, name)[0].detach().numpy(), expected, atol=1e-5)


def test_missing_mae_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PretrainedWeightsError, match="mae_pretrain_vit_base.pth"):
        _tiny(mae_pretrained_path=str(tmp_path / "mae_pretrain_vit_base.pth"))


def test_released_format_checkpoint_loads_strictly_through_the_restricted_reader(tmp_path: Path) -> None:
    """A file shaped like ``OSTrack_ep0300.pth.tar``: ``{'net': state_dict, ...}`` plus objects of foreign classes."""
    spec = _spec_keys("ostrack_keys_vitb_256_ce.txt")
    gen = torch.Generator().manual_seed(4)
    biggest = max(math.prod(s) for _, s in spec)
    buf = torch.randn(biggest + 4096, generator=gen)  # views of one storage keep the file small (~7 MB)
    sd = {}
    for i, (k, shape) in enumerate(spec):
        if k.endswith("num_batches_tracked"):
            sd[k] = torch.tensor(i, dtype=torch.int64)
        else:
            off = (i * 977) % 4096
            sd[k] = buf[off:off + math.prod(shape)].view(shape)
    foreign = types.ModuleType("lib_released_settings")
    settings_cls = type("Settings", (), {"__module__": "lib_released_settings"})
    foreign.Settings = settings_cls
    sys.modules["lib_released_settings"] = foreign
    try:
        obj = settings_cls()
        obj.lr = 4e-4
        path = tmp_path / "OSTrack_ep0300.pth.tar"
        torch.save({"net": sd, "epoch": 300, "net_type": "OSTrack", "settings": obj, "constructor": None}, path)
    finally:
        del sys.modules["lib_released_settings"]
    net, ckpt = load_network(path, constructor="ostrack_vitb_256_ce")
    assert ckpt["format"] == "legacy" and ckpt["epoch"] == 300
    loaded = net.state_dict()
    for k, v in sd.items():
        assert torch.equal(loaded[k], v), k
    assert not net.training
