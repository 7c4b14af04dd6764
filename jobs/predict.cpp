// aif predict: scores a batch of data with a model, sharded over the ranks.
// Input: an aif dataset (one split) or a CSV whose header names the model's
// features (other columns are ignored). Output: CSV or HDF5 (by extension)
// with the row id (or, for a CSV, the --id-column's text), the predicted
// class and its name and the probabilities, or the predicted value for
// regression. The model's checksum is verified
// when it is read, and data of another schema is refused.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "comm/communicator.h"
#include "core/atomic_file.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/sharded_reader.h"
#include "jobs/job.h"
#include "jobs/job_device.h"
#include "jobs/store_selection.h"
#include "kernels/ops.h"
#include "nn/model_file.h"
#include "train/device_option.h"

namespace aif {
namespace {

// The scored rows of this rank: ids and, per row, C probabilities (or 1 value).
struct Scores {
  std::vector<int64_t> ids;
  std::vector<float> values;
};

void ScoreRows(Model& model, const Tensor& x, const std::vector<int64_t>& ids, const std::vector<uint8_t>& valid,
               Task task, Scores* out) {
  PassContext pass;
  pass.training = false;
  Tensor y = model.ForwardToHost(x, pass);
  const int64_t width = y.dim(1);
  Tensor probs = y;
  if (task == Task::kClassification) {
    probs = Tensor::Empty(y.shape());
    ops::Softmax(y, probs);
  }
  for (size_t r = 0; r < ids.size(); ++r) {
    if (!valid[r]) continue;
    out->ids.push_back(ids[r]);
    out->values.insert(out->values.end(), probs.data<float>() + r * width, probs.data<float>() + (r + 1) * width);
  }
}

// Gathers every rank's scores on every rank (padded to the longest), sorted
// by id. Records travel as float64: ids are exact up to 2^53 rows.
Scores GatherScores(Communicator& comm, const Scores& mine, int64_t width) {
  const int64_t longest = comm.AllReduceInt(static_cast<int64_t>(mine.ids.size()), ReduceOp::kMax);
  if (comm.size() == 1) return mine;
  const int64_t rec = width + 1;
  Tensor in = Tensor::Empty({longest * rec}, DType::kF64);
  double* packed = in.data<double>();
  std::fill(packed, packed + in.numel(), -1.0);
  for (size_t r = 0; r < mine.ids.size(); ++r) {
    packed[r * rec] = static_cast<double>(mine.ids[r]);
    std::copy(mine.values.begin() + r * width, mine.values.begin() + (r + 1) * width, packed + r * rec + 1);
  }
  Tensor out = Tensor::Empty({in.numel() * comm.size()}, DType::kF64);
  comm.AllGather(in, out);
  std::vector<std::pair<int64_t, const double*>> rows;
  for (int64_t i = 0; i < out.numel() / rec; ++i) {
    const double* row = out.data<double>() + i * rec;
    if (row[0] >= 0) rows.emplace_back(static_cast<int64_t>(row[0]), row + 1);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Scores all;
  for (const auto& [id, values] : rows) {
    all.ids.push_back(id);
    for (int64_t c = 0; c < width; ++c) all.values.push_back(static_cast<float>(values[c]));
  }
  return all;
}

// A CSV field: quoted (with "" for ") when it holds a separator, a quote or
// a line break, or would lose its edge spaces.
std::string CsvField(const std::string& text) {
  const bool plain = text.find_first_of(",\"\r\n;\t|") == std::string::npos &&
                     (text.empty() || (text.front() != ' ' && text.back() != ' '));
  if (plain) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// keys: the --id-column's text per CSV row (empty: the row ids are written).
void WriteCsv(const std::string& path, const Scores& s, const DatasetSchema& schema, int64_t width,
              const std::string& key_column, const std::vector<std::string>& keys) {
  std::ostringstream out;
  const bool cls = schema.task == Task::kClassification;
  out << (key_column.empty() ? std::string("id") : CsvField(key_column));
  if (cls) {
    out << ",predicted,predicted_name";
    for (const auto& name : schema.class_names) out << ",\"prob_" << name << "\"";
  } else {
    out << ",prediction";
  }
  out << "\n";
  for (size_t r = 0; r < s.ids.size(); ++r) {
    const float* v = s.values.data() + r * width;
    if (key_column.empty()) out << s.ids[r];
    else out << CsvField(keys.at(static_cast<size_t>(s.ids[r])));
    if (cls) {
      const int64_t pred = std::max_element(v, v + width) - v;
      out << "," << pred << ",\"" << schema.class_names[pred] << "\"";
      for (int64_t c = 0; c < width; ++c) out << "," << Format("%.6g", v[c]);
    } else {
      out << "," << Format("%.8g", v[0]);
    }
    out << "\n";
  }
  WriteFileAtomic(path, out.str());
}

void WriteH5(const std::string& path, const Scores& s, const DatasetSchema& schema, int64_t width,
             const std::string& model_sha, const nlohmann::json& lineage, const std::string& key_column,
             const std::vector<std::string>& keys) {
  AtomicOutput out(path);
  {
    H5File file = H5File::Create(out.temp_path());
    Hdf5Lock lock(Hdf5Mutex());
    const int64_t n = static_cast<int64_t>(s.ids.size());
    H5WriteAttr(file.id(), "format", std::string("aif.predictions"));
    H5WriteAttr(file.id(), "format_version", int64_t{1});
    H5WriteAttr(file.id(), "model_params_sha256", model_sha);
    H5WriteAttr(file.id(), "lineage", lineage.dump());
    H5WriteArray(file.id(), "id", s.ids);
    if (!key_column.empty()) {
      std::vector<std::string> row_keys;
      for (int64_t id : s.ids) row_keys.push_back(keys.at(static_cast<size_t>(id)));
      H5WriteAttr(file.id(), "key_column", key_column);
      H5WriteStrings(file.id(), "key", row_keys);
    }
    if (schema.task == Task::kClassification) {
      std::vector<int32_t> pred(n);
      for (int64_t r = 0; r < n; ++r) {
        const float* v = s.values.data() + r * width;
        pred[r] = static_cast<int32_t>(std::max_element(v, v + width) - v);
      }
      H5WriteArray(file.id(), "predicted", pred);
      H5WriteArray(file.id(), "probabilities", s.values, {n, width});
      H5WriteStrings(file.id(), "class_names", schema.class_names);
    } else {
      H5WriteArray(file.id(), "prediction", s.values);
    }
    file.Flush();
    file.Close();
  }
  out.Commit();
}

}  // namespace

int PredictMain(int argc, char** argv, JobContext& ctx) {
  std::string model_path, data_path, split, out_path, id_column;
  StoreSelection sel;
  int64_t store_version = 0;
  int64_t batch_size = 1000;
  JobOptions options("predict",
                     "aif predict --model MODEL.h5 | --name NAME --alias production [--store S]\n"
                     "                   --data DATA.h5|DATA.csv --out PRED.csv|PRED.h5 [options]",
                     "Scores data with a model, sharded over the ranks it runs on. The output holds the row id\n"
                     "(the row's index in the split or the CSV, or a CSV column's value with --id-column), the\n"
                     "predicted class and its name and the class probabilities (the predicted value for\n"
                     "regression). The model's checksum is verified, and data whose features do not match the\n"
                     "model's is refused. A model from the store is used only when every checksum of its\n"
                     "version's manifest verifies.");
  options.AddOptional<std::string>("model", &model_path, "model file (RUN/model.h5), or use --name with --alias/--version");
  AddStoreOptions(&options, &sel, /*select_version=*/true);
  options
      .AddOptional<std::string>("data", &data_path, "an aif dataset or a CSV with the model's feature columns; required")
      .Add<std::string>("split", &split, "test", "the split to score, for a dataset")
      .AddOptional<std::string>("out", &out_path, "output file, .csv or .h5; required")
      .AddOptional<std::string>("id-column", &id_column,
                                "CSV data: a column (e.g. a customer id) whose values identify each row in the "
                                "output, instead of the row index (in .h5 output: 'key', beside 'id')")
      .Add<int64_t>("batch-size", &batch_size, 1000, "rows per forward pass (per rank)");
  std::string device = "auto";
  AddDeviceOption(&options, &device);
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  LoadedModel loaded;
  bool csv = false;
  std::vector<float> table;  // CSV input: [rows, F] in the model's feature order
  int64_t table_rows = 0;
  std::vector<std::string> keys;  // CSV input with --id-column: its text per row
  RunCollectively(ctx, [&] {
    if (model_path.empty() == sel.name.empty()) ThrowUsage("give --model FILE, or --name NAME with --alias or --version");
    if (data_path.empty() || out_path.empty()) ThrowUsage("--data and --out are required");
    if (!sel.name.empty()) model_path = VerifiedStoreModel(sel, &store_version);
    if (!EndsWith(out_path, ".csv") && !EndsWith(out_path, ".h5")) ThrowUsage("--out must end in .csv or .h5");
    if (batch_size < 1) ThrowUsage("--batch-size must be >= 1");
    loaded = ReadModelFile(model_path);
    const DatasetSchema& schema = loaded.meta.schema;
    csv = EndsWith(data_path, ".csv");
    if (csv) {
      // Every model feature must be a column; labels and ids may be there too.
      CsvTextColumn ids{id_column, "--id-column", {}};
      CsvColumnsOptions read_options = ModelCsvOptions(schema);
      if (!id_column.empty()) read_options.text = &ids;
      CsvColumns read = ReadCsvColumns(data_path, CsvInputColumns(schema), read_options);
      if (ctx.is_root()) {  // every rank read the same file
        for (const std::string& line : CsvReadNotes(data_path, read)) LogWarn("%s", line.c_str());
      }
      table = std::move(read.values);
      table_rows = read.rows;
      keys = std::move(ids.values);
    } else {
      if (!id_column.empty()) ThrowUsage("--id-column applies to CSV data; a dataset's rows are named by 'id'");
      auto dataset = DatasetFile::Open(data_path);
      dataset->split(split);
      CheckFeaturesMatch(schema, dataset->schema(), data_path);
    }
    ParseDeviceRequest(device);
  });
  std::unique_ptr<Communicator> comm = ctx.mpi ? MakeMpiCommunicator() : MakeLocalCommunicator();
  const DeviceType on = SetUpJobDevice(ctx, *comm, device);
  if (on != DeviceType::kCpu) loaded.model = loaded.model->CopyTo(on);

  const DatasetSchema& schema = loaded.meta.schema;
  const int64_t F = schema.num_features();
  const int64_t width = schema.task == Task::kClassification ? schema.num_classes() : 1;
  Scores mine;
  if (csv) {
    // Rows split in contiguous ranges over the ranks.
    const int64_t rows = table_rows;
    const int64_t begin = rows * ctx.rank / ctx.world_size, end = rows * (ctx.rank + 1) / ctx.world_size;
    for (int64_t start = begin; start < end; start += batch_size) {
      const int64_t n = std::min(batch_size, end - start);
      Tensor x = Tensor::Empty({n, F});
      std::vector<int64_t> ids(n);
      for (int64_t r = 0; r < n; ++r) {
        ids[r] = start + r;
        for (int64_t f = 0; f < F; ++f) {
          const float raw = table[(start + r) * F + f];
          x.data<float>()[r * F + f] = (raw - loaded.meta.norm_offset[f]) * loaded.meta.norm_scale[f];
        }
      }
      ScoreRows(*loaded.model, x, ids, std::vector<uint8_t>(n, 1), schema.task, &mine);
    }
  } else {
    ReaderOptions ro = HeldOutReaderOptions(ReaderOptions(), split, std::max<int64_t>(batch_size, ctx.world_size));
    ro.norm_offset = loaded.meta.norm_offset;
    ro.norm_scale = loaded.meta.norm_scale;
    ShardedReader reader(data_path, ro, ctx.rank, ctx.world_size);
    for (int64_t s = 0; s < reader.batches_per_epoch(); ++s) {
      Batch b = reader.Next();
      Tensor x = Tensor::Empty({b.rows, F});
      std::copy(b.features.begin(), b.features.end(), x.data<float>());
      ScoreRows(*loaded.model, x, b.sample_ids, b.valid, schema.task, &mine);
    }
  }
  Scores all = GatherScores(*comm, mine, width);
  RunOnRoot(ctx, [&] {
    // Where the predictions came from: in the HDF5 file's "lineage" attribute,
    // or in OUT.csv.lineage.json beside a CSV.
    nlohmann::json lineage = {{"model", {{"path", AbsolutePath(model_path)},
                                         {"spec", loaded.model->spec()},
                                         {"params_sha256", loaded.params_sha256},
                                         {"trained_on", loaded.meta.dataset_fingerprint}}},
                              {"data", {{"path", AbsolutePath(data_path)}, {"split", csv ? "" : split}}},
                              {"rows", all.ids.size()},
                              {"job", JobLineage(ctx, options)}};
    if (!sel.name.empty()) {
      lineage["model"]["store"] = {{"store", AbsolutePath(sel.store)}, {"name", sel.name}, {"alias", sel.alias},
                                   {"version", store_version}};
    }
    if (EndsWith(out_path, ".csv")) {
      WriteCsv(out_path, all, schema, width, id_column, keys);
      WriteFileAtomic(out_path + ".lineage.json", lineage.dump(2) + "\n");
    } else {
      WriteH5(out_path, all, schema, width, loaded.params_sha256, lineage, id_column, keys);
    }
    LogInfo("scored %zu rows of %s with %s; wrote %s", all.ids.size(), data_path.c_str(), model_path.c_str(),
            out_path.c_str());
  });
  return 0;
}

}  // namespace aif
