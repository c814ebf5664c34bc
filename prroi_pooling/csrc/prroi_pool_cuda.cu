// CUDA kernels for exact Precise RoI Pooling (forward, feature backward, coordinate backward).
//
// Math (same as prroi_pooling/functional.py): the feature map is the bilinear interpolation of the grid values with
// zeros outside, i.e. sum_ij F[i,j] h(y-i) h(x-j) with the hat kernel h(t) = max(0, 1-|t|). Its antiderivative is
//   Hc(t) = 0 (t <= -1), (t+1)^2/2 (-1..0), 1-(1-t)^2/2 (0..1), 1 (t >= 1).
// A bin [y0,y1] x [x0,x1] has row weights Wy[i] = Hc(y1-i) - Hc(y0-i), column weights Wx[j] = Hc(x1-j) - Hc(x0-j),
// integral S = sum_ij Wy[i] F[i,j] Wx[j], and value S / A with A = (y1-y0)(x1-x0), or 0 when A == 0.
// Derivatives: dWy[i]/dy1 = h(y1-i), dWy[i]/dy0 = -h(y0-i); d(S/A)/dy1 = (dS/dy1 - out*(x1-x0)) / A, and so on.

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include <algorithm>
#include <cstdint>

namespace prroi_pooling {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;

inline int num_blocks(int64_t n) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks)));
}

template <typename T>
__device__ __forceinline__ T hat_cdf(T t) {
  if (t <= T(-1)) return T(0);
  if (t >= T(1)) return T(1);
  if (t <= T(0)) return T(0.5) * (t + T(1)) * (t + T(1));
  return T(1) - T(0.5) * (T(1) - t) * (T(1) - t);
}

template <typename T>
__device__ __forceinline__ T hat(T t) {
  const T v = T(1) - fabs(t);
  return v > T(0) ? v : T(0);
}

// Weight of grid line `i` for the interval [lo, hi].
template <typename T>
__device__ __forceinline__ T interval_weight(T lo, T hi, int i) {
  return hat_cdf(hi - T(i)) - hat_cdf(lo - T(i));
}

// Geometry of one output bin in feature-map units.
template <typename T>
struct Bin {
  int64_t image;
  T y0, y1, x0, x1;  // bin limits
  T bin_h, bin_w;    // bin lengths (zero for degenerate boxes)
  int i_lo, i_hi, j_lo, j_hi;  // grid lines with possibly non-zero weight, clipped to the map
};

template <typename T>
__device__ __forceinline__ Bin<T> make_bin(const T* roi, int p, int q, int pooled_h, int pooled_w, T scale,
                                           int height, int width) {
  Bin<T> b;
  b.image = static_cast<int64_t>(roi[0]);
  const T rx1 = roi[1] * scale, ry1 = roi[2] * scale, rx2 = roi[3] * scale, ry2 = roi[4] * scale;
  b.bin_w = (rx2 > rx1 ? rx2 - rx1 : T(0)) / T(pooled_w);
  b.bin_h = (ry2 > ry1 ? ry2 - ry1 : T(0)) / T(pooled_h);
  b.x0 = rx1 + b.bin_w * T(q);
  b.x1 = rx1 + b.bin_w * T(q + 1);
  b.y0 = ry1 + b.bin_h * T(p);
  b.y1 = ry1 + b.bin_h * T(p + 1);
  // Line i has support (i-1, i+1): lines floor(y0) .. ceil(y1) can touch [y0, y1]. Clip in floating point first so
  // boxes far outside the map cannot overflow the integer conversion.
  b.i_lo = static_cast<int>(fmax(floor(b.y0), T(0)));
  b.i_hi = static_cast<int>(fmin(ceil(b.y1), T(height - 1)));
  b.j_lo = static_cast<int>(fmax(floor(b.x0), T(0)));
  b.j_hi = static_cast<int>(fmin(ceil(b.x1), T(width - 1)));
  return b;
}

template <typename T>
__global__ void forward_kernel(const T* __restrict__ features, const T* __restrict__ rois, T* __restrict__ output,
                               int64_t total, int channels, int height, int width, int pooled_h, int pooled_w,
                               T scale) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int q = idx % pooled_w;
    const int p = (idx / pooled_w) % pooled_h;
    const int c = (idx / (static_cast<int64_t>(pooled_w) * pooled_h)) % channels;
    const int64_t k = idx / (static_cast<int64_t>(pooled_w) * pooled_h * channels);
    const Bin<T> b = make_bin(rois + k * 5, p, q, pooled_h, pooled_w, scale, height, width);
    const T area = b.bin_h * b.bin_w;
    if (!(area > T(0))) {
      output[idx] = T(0);
      continue;
    }
    const T* plane = features + (b.image * channels + c) * static_cast<int64_t>(height) * width;
    T sum = T(0);
    for (int i = b.i_lo; i <= b.i_hi; ++i) {
      const T wy = interval_weight(b.y0, b.y1, i);
      if (wy == T(0)) continue;
      T row = T(0);
      for (int j = b.j_lo; j <= b.j_hi; ++j) {
        row += interval_weight(b.x0, b.x1, j) * plane[static_cast<int64_t>(i) * width + j];
      }
      sum += wy * row;
    }
    output[idx] = sum / area;
  }
}

template <typename T>
__global__ void backward_features_kernel(const T* __restrict__ grad_output, const T* __restrict__ rois,
                                         T* __restrict__ grad_features, int64_t total, int channels, int height,
                                         int width, int pooled_h, int pooled_w, T scale) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int q = idx % pooled_w;
    const int p = (idx / pooled_w) % pooled_h;
    const int c = (idx / (static_cast<int64_t>(pooled_w) * pooled_h)) % channels;
    const int64_t k = idx / (static_cast<int64_t>(pooled_w) * pooled_h * channels);
    const Bin<T> b = make_bin(rois + k * 5, p, q, pooled_h, pooled_w, scale, height, width);
    const T area = b.bin_h * b.bin_w;
    if (!(area > T(0))) continue;
    const T g = grad_output[idx] / area;
    if (g == T(0)) continue;
    T* plane = grad_features + (b.image * channels + c) * static_cast<int64_t>(height) * width;
    for (int i = b.i_lo; i <= b.i_hi; ++i) {
      const T gy = g * interval_weight(b.y0, b.y1, i);
      if (gy == T(0)) continue;
      for (int j = b.j_lo; j <= b.j_hi; ++j) {
        const T wx = interval_weight(b.x0, b.x1, j);
        if (wx != T(0)) atomicAdd(plane + static_cast<int64_t>(i) * width + j, gy * wx);
      }
    }
  }
}

// One thread per (roi, bin): sums over channels and writes d(loss)/d(x1, y1, x2, y2) of this bin to
// partial[k, p, q, 0..3]; the host side reduces over bins (deterministic, no atomics).
template <typename T>
__global__ void backward_coords_kernel(const T* __restrict__ grad_output, const T* __restrict__ features,
                                       const T* __restrict__ rois, T* __restrict__ partial, int64_t total,
                                       int channels, int height, int width, int pooled_h, int pooled_w, T scale) {
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int q = idx % pooled_w;
    const int p = (idx / pooled_w) % pooled_h;
    const int64_t k = idx / (static_cast<int64_t>(pooled_w) * pooled_h);
    T* out = partial + idx * 4;
    const Bin<T> b = make_bin(rois + k * 5, p, q, pooled_h, pooled_w, scale, height, width);
    const T area = b.bin_h * b.bin_w;
    if (!(area > T(0))) {
      out[0] = out[1] = out[2] = out[3] = T(0);
      continue;
    }
    const int64_t plane_size = static_cast<int64_t>(height) * width;
    const int64_t bins = static_cast<int64_t>(pooled_h) * pooled_w;
    // d(loss)/d(bin limits), accumulated over channels.
    T g_y0 = T(0), g_y1 = T(0), g_x0 = T(0), g_x1 = T(0);
    for (int c = 0; c < channels; ++c) {
      const T go = grad_output[(k * channels + c) * bins + static_cast<int64_t>(p) * pooled_w + q];
      if (go == T(0)) continue;
      const T* plane = features + (b.image * channels + c) * plane_size;
      T s = T(0), ds_y0 = T(0), ds_y1 = T(0), ds_x0 = T(0), ds_x1 = T(0);
      for (int i = b.i_lo; i <= b.i_hi; ++i) {
        const T wy = interval_weight(b.y0, b.y1, i);
        const T hy0 = hat(b.y0 - T(i)), hy1 = hat(b.y1 - T(i));
        T row = T(0), row_dx0 = T(0), row_dx1 = T(0);
        for (int j = b.j_lo; j <= b.j_hi; ++j) {
          const T f = plane[static_cast<int64_t>(i) * width + j];
          row += interval_weight(b.x0, b.x1, j) * f;
          row_dx0 -= hat(b.x0 - T(j)) * f;
          row_dx1 += hat(b.x1 - T(j)) * f;
        }
        s += wy * row;
        ds_y0 -= hy0 * row;
        ds_y1 += hy1 * row;
        ds_x0 += wy * row_dx0;
        ds_x1 += wy * row_dx1;
      }
      const T value = s / area;
      // d(S/A): A = (y1 - y0)(x1 - x0), so dA/dy1 = bin_w, dA/dy0 = -bin_w, dA/dx1 = bin_h, dA/dx0 = -bin_h.
      g_y0 += go * (ds_y0 + value * b.bin_w) / area;
      g_y1 += go * (ds_y1 - value * b.bin_w) / area;
      g_x0 += go * (ds_x0 + value * b.bin_h) / area;
      g_x1 += go * (ds_x1 - value * b.bin_h) / area;
    }
    // Bin limits from roi corners (feature units): y0 = Y1 + p*(Y2-Y1)/PH, y1 = Y1 + (p+1)*(Y2-Y1)/PH; same in x.
    const T ty0 = T(p) / T(pooled_h), ty1 = T(p + 1) / T(pooled_h);
    const T tx0 = T(q) / T(pooled_w), tx1 = T(q + 1) / T(pooled_w);
    out[0] = scale * (g_x0 * (T(1) - tx0) + g_x1 * (T(1) - tx1));  // x1
    out[1] = scale * (g_y0 * (T(1) - ty0) + g_y1 * (T(1) - ty1));  // y1
    out[2] = scale * (g_x0 * tx0 + g_x1 * tx1);                    // x2
    out[3] = scale * (g_y0 * ty0 + g_y1 * ty1);                    // y2
  }
}

}  // namespace

at::Tensor forward_cuda(const at::Tensor& features, const at::Tensor& rois, int64_t pooled_h, int64_t pooled_w,
                        double spatial_scale) {
  const c10::cuda::CUDAGuard guard(features.device());
  const int64_t num_rois = rois.size(0), channels = features.size(1);
  auto output = at::empty({num_rois, channels, pooled_h, pooled_w}, features.options());
  const int64_t total = output.numel();
  if (total == 0) return output;
  const auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(features.scalar_type(), "prroi_pool_forward_cuda", [&] {
    forward_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        features.data_ptr<scalar_t>(), rois.data_ptr<scalar_t>(), output.data_ptr<scalar_t>(), total,
        static_cast<int>(channels), static_cast<int>(features.size(2)), static_cast<int>(features.size(3)),
        static_cast<int>(pooled_h), static_cast<int>(pooled_w), static_cast<scalar_t>(spatial_scale));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return output;
}

at::Tensor backward_features_cuda(const at::Tensor& grad_output, const at::Tensor& rois, int64_t batch,
                                  int64_t height, int64_t width, double spatial_scale) {
  const c10::cuda::CUDAGuard guard(grad_output.device());
  const int64_t channels = grad_output.size(1), pooled_h = grad_output.size(2), pooled_w = grad_output.size(3);
  auto grad_features = at::zeros({batch, channels, height, width}, grad_output.options());
  const int64_t total = grad_output.numel();
  if (total == 0) return grad_features;
  const auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(grad_output.scalar_type(), "prroi_pool_backward_features_cuda", [&] {
    backward_features_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        grad_output.data_ptr<scalar_t>(), rois.data_ptr<scalar_t>(), grad_features.data_ptr<scalar_t>(), total,
        static_cast<int>(channels), static_cast<int>(height), static_cast<int>(width), static_cast<int>(pooled_h),
        static_cast<int>(pooled_w), static_cast<scalar_t>(spatial_scale));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return grad_features;
}

at::Tensor backward_coords_cuda(const at::Tensor& grad_output, const at::Tensor& features, const at::Tensor& rois,
                                double spatial_scale) {
  const c10::cuda::CUDAGuard guard(features.device());
  const int64_t num_rois = rois.size(0), channels = features.size(1);
  const int64_t pooled_h = grad_output.size(2), pooled_w = grad_output.size(3);
  auto partial = at::empty({num_rois, pooled_h, pooled_w, 4}, features.options());
  const int64_t total = num_rois * pooled_h * pooled_w;
  auto grad_rois = at::zeros({num_rois, 5}, features.options());
  if (total == 0) return grad_rois;
  const auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(features.scalar_type(), "prroi_pool_backward_coords_cuda", [&] {
    backward_coords_kernel<scalar_t><<<num_blocks(total), kThreads, 0, stream>>>(
        grad_output.data_ptr<scalar_t>(), features.data_ptr<scalar_t>(), rois.data_ptr<scalar_t>(),
        partial.data_ptr<scalar_t>(), total, static_cast<int>(channels), static_cast<int>(features.size(2)),
        static_cast<int>(features.size(3)), static_cast<int>(pooled_h), static_cast<int>(pooled_w),
        static_cast<scalar_t>(spatial_scale));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  // Column 0 (batch index) gets no gradient; columns 1..4 are the per-bin contributions summed over bins.
  grad_rois.narrow(1, 1, 4).copy_(partial.sum({1, 2}));
  return grad_rois;
}

}  // namespace prroi_pooling
