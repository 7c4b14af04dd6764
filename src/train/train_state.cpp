#include "train/train_state.h"

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"

namespace aif {

nlohmann::json IntervalSums::ToJson() const {
  return {{"data", data},   {"forward", forward}, {"backward", backward}, {"comm", comm},
          {"optimizer", optimizer}, {"wall", wall}, {"loss", loss},     {"grad_norm", grad_norm},
          {"samples", samples}, {"correct", correct}, {"steps", steps}};
}

IntervalSums IntervalSums::FromJson(const nlohmann::json& j) {
  IntervalSums s;
  s.data = j.value("data", 0.0);
  s.forward = j.value("forward", 0.0);
  s.backward = j.value("backward", 0.0);
  s.comm = j.value("comm", 0.0);
  s.optimizer = j.value("optimizer", 0.0);
  s.wall = j.value("wall", 0.0);
  s.loss = j.value("loss", 0.0);
  s.grad_norm = j.value("grad_norm", 0.0);
  s.samples = j.value("samples", int64_t{0});
  s.correct = j.value("correct", int64_t{0});
  s.steps = j.value("steps", int64_t{0});
  return s;
}

Checkpoint MakeCheckpoint(const TrainConfig& config, const Model& model, Optimizer& optimizer,
                          const TrainProgress& p, const std::string& dataset_fingerprint, int world_size) {
  Checkpoint c;
  c.step = p.step;
  c.tensors.emplace_back("params", model.params());
  for (const auto& [name, t] : optimizer.State()) c.tensors.emplace_back("optimizer." + name, t);
  nlohmann::json& m = c.meta;
  m["model_spec"] = config.model_spec;
  m["output_transform"] = {{"scale", model.output_transform().scale}, {"offset", model.output_transform().offset}};
  m["dataset_fingerprint"] = dataset_fingerprint;
  m["batch_size"] = config.batch_size;
  m["micro_batches"] = config.micro_batches;
  m["seed"] = config.seed;
  m["optimizer"] = config.optimizer.name;
  m["optimizer_steps"] = optimizer.steps_taken();
  m["reader_cursor"] = p.cursor.ToJson();
  m["epoch"] = p.cursor.epoch;
  m["interval"] = p.interval.ToJson();
  m["val"] = {{"samples", p.val.samples}, {"loss", p.val.loss}, {"accuracy", p.val.accuracy}};
  m["elapsed_s"] = p.elapsed_s;
  m["last_logged_loss"] = p.last_logged_loss;
  m["world_size"] = world_size;
  m["created_utc"] = NowUtcIso8601();
  m["config"] = config.effective_config;
  m["lineage"] = config.lineage;
  return c;
}

void CheckResumeCompatible(const Checkpoint& c, const TrainConfig& config, const std::string& fingerprint) {
  const nlohmann::json& m = c.meta;
  auto differs = [&](const char* what, const std::string& saved, const std::string& now) {
    ThrowUsage("the checkpoint at step %lld was made with another %s ('%s', now '%s'); use --resume never with a new "
               "--run-dir to start a new run, or restore the original setting",
               static_cast<long long>(c.step), what, saved.c_str(), now.c_str());
  };
  if (m.value("model_spec", "") != config.model_spec) differs("model spec", m.value("model_spec", ""), config.model_spec);
  if (m.value("dataset_fingerprint", "") != fingerprint) {
    differs("dataset (fingerprint)", m.value("dataset_fingerprint", "").substr(0, 16), fingerprint.substr(0, 16));
  }
  if (m.value("batch_size", int64_t{0}) != config.batch_size) {
    differs("--batch-size", std::to_string(m.value("batch_size", int64_t{0})), std::to_string(config.batch_size));
  }
  if (m.value("micro_batches", int64_t{0}) != config.micro_batches) {
    differs("--micro-batches", std::to_string(m.value("micro_batches", int64_t{0})),
            std::to_string(config.micro_batches));
  }
  if (m.value("seed", uint64_t{0}) != config.seed) {
    differs("--seed", std::to_string(m.value("seed", uint64_t{0})), std::to_string(config.seed));
  }
  if (m.value("optimizer", "") != config.optimizer.name) differs("--optimizer", m.value("optimizer", ""), config.optimizer.name);
}

OutputTransform OutputTransformFromCheckpoint(const Checkpoint& c) {
  OutputTransform t;
  const nlohmann::json j = c.meta.value("output_transform", nlohmann::json::object());
  if (!j.is_object()) {
    ThrowData("the checkpoint at step %lld has a malformed output_transform", static_cast<long long>(c.step));
  }
  t.scale = j.value("scale", 1.0f);
  t.offset = j.value("offset", 0.0f);
  return t;
}

TrainProgress RestoreCheckpoint(const Checkpoint& c, Model& model, Optimizer& optimizer) {
  auto find = [&](const std::string& name) -> const Tensor& {
    for (const auto& [n, t] : c.tensors) {
      if (n == name) return t;
    }
    ThrowData("the checkpoint at step %lld has no tensor '%s'", static_cast<long long>(c.step), name.c_str());
  };
  const Tensor& params = find("params");
  if (params.numel() != model.num_params()) {
    ThrowData("the checkpoint holds %lld parameters, the model has %lld", static_cast<long long>(params.numel()),
              static_cast<long long>(model.num_params()));
  }
  model.params().CopyFrom(params.Reshaped(model.params().shape()));
  model.set_output_transform(OutputTransformFromCheckpoint(c));
  for (const auto& [name, state] : optimizer.State()) {
    const Tensor& saved = find("optimizer." + name);
    if (saved.numel() != state.numel()) ThrowData("optimizer state '%s' has the wrong size", name.c_str());
    state.CopyFrom(saved.Reshaped(state.shape()));
  }
  optimizer.set_steps_taken(c.meta.value("optimizer_steps", int64_t{0}));
  TrainProgress p;
  p.step = c.step;
  p.cursor = ReaderCursor::FromJson(c.meta.at("reader_cursor"));
  p.interval = IntervalSums::FromJson(c.meta.value("interval", nlohmann::json::object()));
  const nlohmann::json val = c.meta.value("val", nlohmann::json::object());
  p.val.samples = val.value("samples", int64_t{0});
  p.val.loss = val.value("loss", 0.0);
  p.val.accuracy = val.value("accuracy", -1.0);
  p.elapsed_s = c.meta.value("elapsed_s", 0.0);
  p.last_logged_loss = c.meta.value("last_logged_loss", 0.0);
  return p;
}

}  // namespace aif
