"""OSTrack's one-stream ViT: template and search tokens through one ViT, with candidate elimination (CE).

Why its own backbone: OSTrack does not extract template and search features separately. Both images are patch-embedded
by the same convolution, get their own learned positional embeddings (``pos_embed_z`` / ``pos_embed_x``, derived from a
224-px ViT's 14x14 grid), are concatenated (template first) and pass through the transformer together, so every block
is at once feature extraction and template-search relation. In the CE blocks the search tokens that the template's
centre token attends to least are dropped (never template tokens); after the final LayerNorm the dropped positions come
back as exact zeros in raster order, so the head always sees a full search grid.

Every size is a constructor argument (embedding width, depth, heads, patch size, image sizes, CE blocks and ratio), so
the tiny ViTs that CPU tests and ``ostrack_synthetic`` use run exactly this code. Parameter names are those of the
released checkpoints (``cls_token``, ``pos_embed``, ``pos_embed_z``, ``pos_embed_x``, ``patch_embed.proj``,
``blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``norm``); ``cls_token`` and the 224-px ``pos_embed``
are kept only for that compatibility and for deriving the two embeddings from MAE weights
(:meth:`VisionTransformerCE.reset_search_template_pos_embed`).

Public API::

    vit = VisionTransformerCE(template_size=128, search_size=256)          # ViT-B/16, CE at 3,6,9 ratio 0.7
    feat, aux = vit(z, x, ce_template_mask=ctr_point_template_mask(B, 128, 16), ce_keep_rate=None)
    # feat (B, Nz+Nx, C): template tokens then search tokens in raster order (eliminated ones = 0)
    # aux = {'attn': last block's attention (B, H, N', N'), 'removed_indexes_s': [LongTensor (B, n_removed)] * n_ce}
    ctr_point_template_mask(batch, template_size, patch_size) -> BoolTensor (B, Nz), True at the centre token
    num_kept_tokens(n, ratio) -> ceil(ratio * n) in float64
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "VisionTransformerCE",
    "CEBlock",
    "Attention",
    "Mlp",
    "PatchEmbed",
    "DropPath",
    "ctr_point_template_mask",
    "num_kept_tokens",
    "resize_pos_embed_grid",
]


def num_kept_tokens(num_tokens: int, keep_ratio: float) -> int:
    """Search tokens kept by one CE step: ``ceil(keep_ratio * num_tokens)`` in float64 (Python float).

    float64 matters: ``0.7 * 180`` is ``125.99999999999999`` -> 126, while float32 would give 127.
    """
    return int(math.ceil(float(keep_ratio) * int(num_tokens)))


def ctr_point_template_mask(batch: int, template_size: int, patch_size: int = 16,
                            device: torch.device | str | None = None) -> torch.Tensor:
    """CE template query mask 'CTR_POINT': ``(batch, g*g)`` bool, True only at the grid's centre cell.

    ``g = template_size // patch_size``; the centre cell is ``((g-1)//2, (g-1)//2)``, i.e. (3,3) -> 27 for g = 8 and
    (5,5) -> 65 for g = 12 (the published choices).
    """
    g = int(template_size) // int(patch_size)
    if g < 1:
        raise ValueError(f"template_size {template_size} is smaller than the patch size {patch_size}")
    c = (g - 1) // 2
    mask = torch.zeros(batch, g * g, dtype=torch.bool, device=device)
    mask[:, c * g + c] = True
    return mask


def resize_pos_embed_grid(grid_embed: torch.Tensor, out_hw: tuple[int, int]) -> torch.Tensor:
    """Resize a ``(1, h*w, C)`` square positional-embedding grid to ``(1, H*W, C)`` (bicubic, half-pixel, no AA)."""
    n, c = grid_embed.shape[1], grid_embed.shape[2]
    side = int(round(math.sqrt(n)))
    if side * side != n:
        raise ValueError(f"positional embedding grid of {n} tokens is not square")
    grid = grid_embed.reshape(1, side, side, c).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=tuple(out_hw), mode="bicubic", align_corners=False)
    return grid.flatten(2).transpose(1, 2).contiguous()


class DropPath(nn.Module):
    """Stochastic depth per sample (training only); identity at inference or with ``p = 0``."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class PatchEmbed(nn.Module):
    """Non-overlapping ``patch x patch`` convolution -> ``(B, N, C)`` tokens in row-major order (no norm)."""

    def __init__(self, patch_size: int = 16, in_chans: int = 3, embed_dim: int = 768) -> None:
        super().__init__()
        self.patch_size = int(patch_size)
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class Mlp(nn.Module):
    """fc1 -> exact GELU -> fc2."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    """Multi-head self-attention that also returns its post-softmax weights (CE scores tokens with them)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"embed_dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = int(num_heads)
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out), attn


def candidate_elimination(attn: torch.Tensor, tokens: torch.Tensor, num_template: int, num_search: int,
                          keep_ratio: float, global_index_s: torch.Tensor,
                          template_mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None,
                                                                       int]:
    """Keep the ``ceil(keep_ratio * num_search)`` search tokens the template query rows attend to most.

    Args:
        attn: ``(B, H, N, N)`` post-softmax attention of this block; ``N = num_template + num_search``.
        tokens: ``(B, N, C)`` tokens after the attention residual.
        num_template / num_search: current token counts (Python ints, so tracing keeps the counts static).
        keep_ratio: fraction of search tokens kept.
        global_index_s: ``(B, num_search)`` original raster index of each current search token.
        template_mask: ``(B, num_template)`` bool query rows used for scoring (None: all template tokens).

    Returns:
        ``(tokens, global_index_s, removed_index, num_kept)``; kept search tokens follow the template tokens in
        descending-score order; ``removed_index`` is None when nothing was eliminated.
    """
    keep = num_kept_tokens(num_search, keep_ratio)
    if keep >= num_search:
        return tokens, global_index_s, None, num_search
    attn_t = attn[:, :, :num_template, num_template:]  # template queries x search keys
    if template_mask is None:
        score = attn_t.mean(dim=2)
    else:  # masked mean over query rows; a weighted sum keeps shapes static (exact for one selected row)
        w = template_mask.to(attn_t.dtype)[:, None, :, None]
        score = (attn_t * w).sum(dim=2) / w.sum(dim=2)
    score = score.mean(dim=1)  # over heads -> (B, num_search)
    _, order = torch.sort(score, dim=1, descending=True)
    top, rest = order[:, :keep], order[:, keep:]
    kept_index = global_index_s.gather(1, top)
    removed_index = global_index_s.gather(1, rest)
    c = tokens.shape[-1]
    search = tokens[:, num_template:].gather(1, top.unsqueeze(-1).expand(-1, -1, c))
    tokens = torch.cat([tokens[:, :num_template], search], dim=1)
    return tokens, kept_index, removed_index, keep


class CEBlock(nn.Module):
    """Pre-norm ViT block; with ``keep_ratio < 1`` it eliminates search tokens between attention and MLP."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True,
                 drop_path: float = 0.0, keep_ratio: float = 1.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.keep_ratio = float(keep_ratio)

    def forward(self, x: torch.Tensor, num_template: int, num_search: int, global_index_s: torch.Tensor,
                template_mask: torch.Tensor | None = None, keep_rate: float | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor, int]:
        """Returns ``(x, global_index_s, removed_index or None, attn, num_search_after)``.

        ``keep_rate`` (training warm-up) overrides the block's ratio, but only in CE blocks (ratio < 1).
        """
        out, attn = self.attn(self.norm1(x))
        x = x + self.drop_path(out)
        removed = None
        if self.keep_ratio < 1.0:
            ratio = self.keep_ratio if keep_rate is None else float(keep_rate)
            if ratio < 1.0:
                x, global_index_s, removed, num_search = candidate_elimination(
                    attn, x, num_template, num_search, ratio, global_index_s, template_mask)
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x, global_index_s, removed, attn, num_search


class VisionTransformerCE(nn.Module):
    """ViT with candidate elimination over concatenated template + search tokens.

    Args:
        template_size / search_size: input sides in pixels (multiples of ``patch_size``).
        patch_size, embed_dim, depth, num_heads, mlp_ratio: ViT shape (ViT-B/16: 16, 768, 12, 12, 4).
        drop_path_rate: stochastic depth, linear from 0 at block 0 to this at the last block.
        ce_loc: 0-based indices of the CE blocks; ``ce_keep_ratio`` their keep ratio (one float or one per block).
        pretrain_img_size: image side of the pretrained ViT whose ``pos_embed`` grid the two embeddings derive from
            (224 -> 14x14 grid + class slot).
    """

    def __init__(self, template_size: int = 128, search_size: int = 256, patch_size: int = 16, embed_dim: int = 768,
                 depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0, drop_path_rate: float = 0.1,
                 ce_loc: Sequence[int] = (3, 6, 9), ce_keep_ratio: float | Sequence[float] = 0.7,
                 pretrain_img_size: int = 224) -> None:
        super().__init__()
        for name, size in (("template_size", template_size), ("search_size", search_size),
                           ("pretrain_img_size", pretrain_img_size)):
            if size % patch_size:
                raise ValueError(f"{name} {size} is not a multiple of patch_size {patch_size}")
        self.patch_size = int(patch_size)
        self.embed_dim = int(embed_dim)
        self.template_size = int(template_size)
        self.search_size = int(search_size)
        self.template_grid = template_size // patch_size
        self.search_grid = search_size // patch_size
        self.num_template = self.template_grid ** 2
        self.num_search = self.search_grid ** 2
        self.pretrain_grid = pretrain_img_size // patch_size
        self.ce_loc = tuple(int(i) for i in ce_loc)
        if any(not 0 <= i < depth for i in self.ce_loc):
            raise ValueError(f"ce_loc {self.ce_loc} outside blocks 0..{depth - 1}")
        ratios = [float(ce_keep_ratio)] * len(self.ce_loc) if isinstance(ce_keep_ratio, (int, float)) \
            else [float(r) for r in ce_keep_ratio]
        if len(ratios) != len(self.ce_loc):
            raise ValueError(f"ce_keep_ratio has {len(ratios)} entries for {len(self.ce_loc)} CE blocks")

        # Registration order = the released state_dict's key order.
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.pretrain_grid ** 2, embed_dim))
        self.pos_embed_z = nn.Parameter(torch.zeros(1, self.num_template, embed_dim))
        self.pos_embed_x = nn.Parameter(torch.zeros(1, self.num_search, embed_dim))
        self.patch_embed = PatchEmbed(patch_size, 3, embed_dim)
        dpr = [drop_path_rate * i / (depth - 1) if depth > 1 else 0.0 for i in range(depth)]
        block_ratio = dict(zip(self.ce_loc, ratios, strict=True))
        self.blocks = nn.ModuleList(
            CEBlock(embed_dim, num_heads, mlp_ratio, qkv_bias=True, drop_path=dpr[i],
                    keep_ratio=block_ratio.get(i, 1.0)) for i in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        self.reset_search_template_pos_embed()

    @torch.no_grad()
    def reset_search_template_pos_embed(self) -> None:
        """Derive ``pos_embed_z`` / ``pos_embed_x`` from the grid part of ``pos_embed`` (class slot skipped).

        Called at construction and after loading pretrained (MAE) weights into ``pos_embed``.
        """
        grid = self.pos_embed[:, 1:]
        self.pos_embed_z.copy_(resize_pos_embed_grid(grid, (self.template_grid, self.template_grid)))
        self.pos_embed_x.copy_(resize_pos_embed_grid(grid, (self.search_grid, self.search_grid)))

    def forward(self, z: torch.Tensor, x: torch.Tensor, ce_template_mask: torch.Tensor | None = None,
                ce_keep_rate: float | None = None) -> tuple[torch.Tensor, dict]:
        """Tokens ``(B, Nz+Nx, C)`` (template first, search in raster order, eliminated = 0) and aux outputs.

        Args:
            z: ``(B,3,template_size,template_size)`` normalised template crop.
            x: ``(B,3,search_size,search_size)`` normalised search crop.
            ce_template_mask: ``(B, Nz)`` bool template query rows for CE scoring (None = all template tokens).
            ce_keep_rate: training warm-up override of every CE block's ratio; >= 1 disables elimination.
        """
        for name, t, size in (("template", z, self.template_size), ("search", x, self.search_size)):
            if t.dim() != 4 or t.shape[1] != 3 or t.shape[-2:] != (size, size):
                raise ValueError(f"{name} image must be (B,3,{size},{size}), got {tuple(t.shape)}")
        b = x.shape[0]
        nz, ns = self.num_template, self.num_search
        tokens = torch.cat([self.patch_embed(z) + self.pos_embed_z, self.patch_embed(x) + self.pos_embed_x], dim=1)
        global_index_s = torch.arange(ns, device=x.device).unsqueeze(0).expand(b, -1)
        removed_indexes: list[torch.Tensor] = []
        attn = None
        for blk in self.blocks:
            tokens, global_index_s, removed, attn, ns = blk(tokens, nz, ns, global_index_s, ce_template_mask,
                                                           ce_keep_rate)
            if removed is not None:
                removed_indexes.append(removed)
        tokens = self.norm(tokens)
        tokens = self._restore_search_tokens(tokens, global_index_s, removed_indexes, ns)
        return tokens, {"attn": attn, "removed_indexes_s": removed_indexes}

    def _restore_search_tokens(self, tokens: torch.Tensor, global_index_s: torch.Tensor,
                               removed_indexes: list[torch.Tensor], num_kept: int) -> torch.Tensor:
        """Scatter surviving search tokens back to their raster positions; eliminated positions become zeros."""
        if not removed_indexes:
            return tokens
        nz = self.num_template
        b, _, c = tokens.shape
        search = tokens[:, nz:]
        num_removed = self.num_search - num_kept
        search = torch.cat([search, search.new_zeros(b, num_removed, c)], dim=1)
        index = torch.cat([global_index_s] + removed_indexes, dim=1)
        restored = torch.zeros_like(search).scatter(1, index.unsqueeze(-1).expand(-1, -1, c), search)
        return torch.cat([tokens[:, :nz], restored], dim=1)
