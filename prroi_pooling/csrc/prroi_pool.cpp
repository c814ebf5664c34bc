// Python binding of the Precise RoI Pooling CUDA kernels (module prroi_pooling._C).
// Input checks live here so the kernels can assume contiguous, same-device, same-dtype tensors.

#include <torch/extension.h>

namespace prroi_pooling {

at::Tensor forward_cuda(const at::Tensor& features, const at::Tensor& rois, int64_t pooled_h, int64_t pooled_w,
                        double spatial_scale);
at::Tensor backward_features_cuda(const at::Tensor& grad_output, const at::Tensor& rois, int64_t batch,
                                  int64_t height, int64_t width, double spatial_scale);
at::Tensor backward_coords_cuda(const at::Tensor& grad_output, const at::Tensor& features, const at::Tensor& rois,
                                double spatial_scale);

namespace {

void check_cuda_contiguous(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.is_cuda(), "prroi_pooling._C: ", name, " must be a CUDA tensor");
  TORCH_CHECK(t.is_contiguous(), "prroi_pooling._C: ", name, " must be contiguous");
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, "prroi_pooling._C: ", name,
              " must be float32 or float64, got ", t.scalar_type());
}

void check_rois(const at::Tensor& rois, const at::Tensor& like) {
  check_cuda_contiguous(rois, "rois");
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "prroi_pooling._C: rois must be [K, 5], got ", rois.sizes());
  TORCH_CHECK(rois.scalar_type() == like.scalar_type(), "prroi_pooling._C: rois dtype ", rois.scalar_type(),
              " differs from ", like.scalar_type());
  TORCH_CHECK(rois.device() == like.device(), "prroi_pooling._C: rois and features are on different devices");
}

at::Tensor forward(const at::Tensor& features, const at::Tensor& rois, int64_t pooled_h, int64_t pooled_w,
                   double spatial_scale) {
  check_cuda_contiguous(features, "features");
  TORCH_CHECK(features.dim() == 4, "prroi_pooling._C: features must be [B, C, H, W], got ", features.sizes());
  check_rois(rois, features);
  TORCH_CHECK(pooled_h > 0 && pooled_w > 0, "prroi_pooling._C: pooled size must be positive");
  return forward_cuda(features, rois, pooled_h, pooled_w, spatial_scale);
}

at::Tensor backward_features(const at::Tensor& grad_output, const at::Tensor& rois, int64_t batch, int64_t height,
                             int64_t width, double spatial_scale) {
  check_cuda_contiguous(grad_output, "grad_output");
  TORCH_CHECK(grad_output.dim() == 4 && grad_output.size(0) == rois.size(0),
              "prroi_pooling._C: grad_output must be [K, C, PH, PW] with K = number of rois");
  check_rois(rois, grad_output);
  return backward_features_cuda(grad_output, rois, batch, height, width, spatial_scale);
}

at::Tensor backward_coords(const at::Tensor& grad_output, const at::Tensor& features, const at::Tensor& rois,
                           double spatial_scale) {
  check_cuda_contiguous(grad_output, "grad_output");
  check_cuda_contiguous(features, "features");
  TORCH_CHECK(features.dim() == 4, "prroi_pooling._C: features must be [B, C, H, W], got ", features.sizes());
  TORCH_CHECK(grad_output.dim() == 4 && grad_output.size(0) == rois.size(0) && grad_output.size(1) == features.size(1),
              "prroi_pooling._C: grad_output must be [K, C, PH, PW] matching rois and features");
  TORCH_CHECK(grad_output.scalar_type() == features.scalar_type(), "prroi_pooling._C: grad_output dtype differs");
  check_rois(rois, features);
  return backward_coords_cuda(grad_output, features, rois, spatial_scale);
}

}  // namespace
}  // namespace prroi_pooling

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "Exact Precise RoI Pooling CUDA kernels (forward, feature backward, coordinate backward)";
  m.def("forward", &prroi_pooling::forward, "PrRoIPool forward -> [K, C, PH, PW]", pybind11::arg("features"),
        pybind11::arg("rois"), pybind11::arg("pooled_height"), pybind11::arg("pooled_width"),
        pybind11::arg("spatial_scale"));
  m.def("backward_features", &prroi_pooling::backward_features, "Gradient w.r.t. features -> [B, C, H, W]",
        pybind11::arg("grad_output"), pybind11::arg("rois"), pybind11::arg("batch"), pybind11::arg("height"),
        pybind11::arg("width"), pybind11::arg("spatial_scale"));
  m.def("backward_coords", &prroi_pooling::backward_coords,
        "Gradient w.r.t. rois -> [K, 5] (column 0, the batch index, is zero)", pybind11::arg("grad_output"),
        pybind11::arg("features"), pybind11::arg("rois"), pybind11::arg("spatial_scale"));
}
