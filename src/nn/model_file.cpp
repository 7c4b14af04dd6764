#include "nn/model_file.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5_io.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "data/schema_io.h"

namespace aif {

std::string ParamsSha256(const Model& model) {
  Tensor host = model.params().device() == DeviceType::kCpu ? model.params() : model.params().To(DeviceType::kCpu);
  return Sha256Hex(host.raw(), host.nbytes());
}

namespace {

template <typename T>
void HashVector(Sha256* h, const std::vector<T>& v) {
  const uint64_t n = v.size();
  h->Update(&n, sizeof(n));
  if (n) h->Update(v.data(), n * sizeof(T));
}

// SHA-256 over everything inference reads: the parameter checksum, the spec,
// the schema, the normalisation constants, the reference statistics and the
// dataset fingerprint (not the lineage, which is informational), and the
// output transform where it is not the identity (files from before it hash
// as they did).
std::string ContentSha256(const std::string& params_sha, const std::string& spec, const ModelMetadata& m,
                          const OutputTransform& output) {
  Sha256 h;
  for (const std::string& text : {params_sha, spec, m.schema.ToJson().dump(), m.normalization, m.dataset_fingerprint}) {
    h.Update(text);
    h.Update("\n", 1);
  }
  if (!output.identity()) {
    h.Update("output_transform\n");
    h.Update(&output.scale, sizeof(output.scale));
    h.Update(&output.offset, sizeof(output.offset));
  }
  HashVector(&h, m.norm_offset);
  HashVector(&h, m.norm_scale);
  const FeatureStats& st = m.reference_stats;
  h.Update(&st.count, sizeof(st.count));
  h.Update(&st.hist_bins, sizeof(st.hist_bins));
  for (const auto* v : {&st.mean, &st.std, &st.min, &st.max, &st.hist_edges, &st.quantile_levels, &st.quantiles}) {
    HashVector(&h, *v);
  }
  HashVector(&h, st.hist_counts);
  HashVector(&h, st.label_counts);
  for (double x : {st.label_mean, st.label_std, st.label_min, st.label_max}) h.Update(&x, sizeof(x));
  return h.HexDigest();
}

}  // namespace

std::string WriteModelFile(const std::string& path, const Model& model, const ModelMetadata& meta) {
  const std::string sha = ParamsSha256(model);
  Tensor host = model.params().device() == DeviceType::kCpu ? model.params() : model.params().To(DeviceType::kCpu);
  AtomicOutput out(path);
  {
    H5File file = H5File::Create(out.temp_path());
    Hdf5Lock lock(Hdf5Mutex());
    hid_t root = file.id();
    H5WriteAttr(root, "format", std::string(kModelFormatName));
    H5WriteAttr(root, "format_version", kModelFormatVersion);
    H5WriteAttr(root, "spec", model.spec());
    H5WriteAttr(root, "num_params", model.num_params());
    H5WriteAttr(root, "params_sha256", sha);
    H5WriteAttr(root, "content_sha256", ContentSha256(sha, model.spec(), meta, model.output_transform()));
    if (!model.output_transform().identity()) {
      H5WriteAttr(root, "output_scale", static_cast<double>(model.output_transform().scale));
      H5WriteAttr(root, "output_offset", static_cast<double>(model.output_transform().offset));
    }
    H5WriteAttr(root, "dataset_fingerprint", meta.dataset_fingerprint);
    H5Id schema = H5CreateGroup(root, "schema");
    WriteSchemaGroup(schema.get(), meta.schema);
    H5Id norm = H5CreateGroup(root, "normalization");
    H5WriteAttr(norm.get(), "mode", meta.normalization);
    H5WriteArray(norm.get(), "offset", meta.norm_offset);
    H5WriteArray(norm.get(), "scale", meta.norm_scale);
    H5Id stats = H5CreateGroup(root, "reference_stats");
    WriteStatsGroup(stats.get(), meta.reference_stats, meta.schema.task);
    H5Id params = H5CreateGroup(root, "params");
    H5WriteAttr(params.get(), "order", [&] {
      std::vector<std::string> names;
      for (const auto& p : model.param_infos()) names.push_back(p.name);
      return Join(names, ",");
    }());
    for (const ParamInfo& p : model.param_infos()) {
      H5WriteArrayRaw(params.get(), p.name, H5T_NATIVE_FLOAT, host.data<float>() + p.offset, p.shape);
    }
    H5Id lineage = H5CreateGroup(root, "lineage");
    WriteJsonAsAttributes(lineage.get(), meta.lineage);
    file.Flush();
    file.Close();
  }
  out.Commit();
  return sha;
}

LoadedModel ReadModelFile(const std::string& path, DeviceType device) {
  H5File file = H5File::OpenReadOnly(path);
  Hdf5Lock lock(Hdf5Mutex());
  hid_t root = file.id();
  LoadedModel out;
  try {
    if (!H5HasAttr(root, "format") || H5ReadStringAttr(root, "format") != kModelFormatName) {
      ThrowData("is not an aif model file");
    }
    int64_t version = H5ReadIntAttr(root, "format_version");
    if (version != kModelFormatVersion) {
      ThrowData("has model format version %lld, this aif reads version %lld", static_cast<long long>(version),
                static_cast<long long>(kModelFormatVersion));
    }
    ModelMetadata& m = out.meta;
    H5Id schema = H5OpenGroup(root, "schema");
    m.schema = ReadSchemaGroup(schema.get());
    m.dataset_fingerprint = H5ReadStringAttr(root, "dataset_fingerprint");
    H5Id norm = H5OpenGroup(root, "normalization");
    m.normalization = H5ReadStringAttr(norm.get(), "mode");
    m.norm_offset = H5ReadArray<float>(norm.get(), "offset");
    m.norm_scale = H5ReadArray<float>(norm.get(), "scale");
    H5Id stats = H5OpenGroup(root, "reference_stats");
    m.reference_stats = ReadStatsGroup(stats.get(), m.schema.task, m.schema.num_features());
    H5Id lineage = H5OpenGroup(root, "lineage");
    m.lineage = ReadAttributesAsJson(lineage.get());

    const std::string spec = H5ReadStringAttr(root, "spec");
    const int64_t outputs = m.schema.task == Task::kClassification ? m.schema.num_classes() : 1;
    out.model = Model::Build(spec, m.schema.sample_shape, outputs, device);
    OutputTransform output;  // identity in files without it
    if (H5HasAttr(root, "output_scale")) output.scale = static_cast<float>(H5ReadDoubleAttr(root, "output_scale"));
    if (H5HasAttr(root, "output_offset")) output.offset = static_cast<float>(H5ReadDoubleAttr(root, "output_offset"));
    Tensor host = Tensor::Zeros({out.model->num_params()});
    H5Id params = H5OpenGroup(root, "params");
    for (const ParamInfo& p : out.model->param_infos()) {
      H5ReadArrayRaw(params.get(), p.name, H5T_NATIVE_FLOAT, host.data<float>() + p.offset,
                     static_cast<size_t>(p.numel()));
    }
    out.params_sha256 = Sha256Hex(host.raw(), host.nbytes());
    const std::string stored = H5ReadStringAttr(root, "params_sha256");
    if (stored != out.params_sha256) {
      ThrowData("parameters do not match their checksum (stored %.12s..., computed %.12s...): the file is damaged "
                "or was modified",
                stored.c_str(), out.params_sha256.c_str());
    }
    // Files written before content_sha256 existed carry only params_sha256.
    if (H5HasAttr(root, "content_sha256") &&
        H5ReadStringAttr(root, "content_sha256") != ContentSha256(stored, spec, m, output)) {
      ThrowData("metadata (normalisation constants, output transform, schema or reference statistics) does not "
                "match its checksum: the file is damaged or was modified");
    }
    out.model->params().CopyFrom(host);
    out.model->set_output_transform(output);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kData || e.kind() == ErrorKind::kUsage) {
      throw Error(ErrorKind::kData, "model '" + path + "' " + e.what());
    }
    throw;
  }
  return out;
}

nlohmann::json DescribeModelFile(const std::string& path) {
  LoadedModel loaded = ReadModelFile(path);
  const Model& model = *loaded.model;
  nlohmann::json j;
  j["format"] = kModelFormatName;
  j["format_version"] = kModelFormatVersion;
  j["spec"] = model.spec();
  j["num_params"] = model.num_params();
  j["params_sha256"] = loaded.params_sha256;
  j["verified"] = true;
  j["dataset_fingerprint"] = loaded.meta.dataset_fingerprint;
  nlohmann::json schema = loaded.meta.schema.ToJson();
  if (loaded.meta.schema.feature_names.size() > 16) schema.erase("feature_names");
  j["schema"] = schema;
  j["normalization"] = loaded.meta.normalization;
  if (!model.output_transform().identity()) {
    j["output_transform"] = {{"scale", model.output_transform().scale}, {"offset", model.output_transform().offset}};
  }
  nlohmann::json params = nlohmann::json::array();
  for (const ParamInfo& p : model.param_infos()) params.push_back({{"name", p.name}, {"shape", p.shape}});
  j["params"] = params;
  j["layers"] = Split(model.Summary(), '\n');
  j["lineage"] = loaded.meta.lineage;
  return j;
}

}  // namespace aif
