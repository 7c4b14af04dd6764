// --missing mean: a CSV's missing feature cells take the train split's mean
// (numeric) or no category (one-hot all zero) in every split, rows without
// a label are dropped, the means travel in the schema, and a model's CSV
// input is filled with them when it is scored; without it a missing value
// stays an error.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/fs.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/prepare.h"
#include "support/test_util.h"

namespace aif {
namespace {

// Row i: id = i; x = 2i, missing when i % 5 == 0; c = a/b, missing when
// i % 7 == 3; y = i % 2, missing when i % 11 == 4.
std::string GappyTable(int rows) {
  std::string text = "id,x,c,y\n";
  for (int i = 0; i < rows; ++i) {
    text += std::to_string(i) + "," + (i % 5 == 0 ? "NA" : std::to_string(2 * i)) + "," +
            (i % 7 == 3 ? "" : (i % 3 ? "a" : "b")) + "," + (i % 11 == 4 ? "" : std::to_string(i % 2)) + "\n";
  }
  return text;
}

// The message of the Error of `kind` that f throws ("" and a failure if none).
template <typename F>
std::string ErrorOf(ErrorKind kind, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

class CsvMissingFixture : public ::testing::Test {
 protected:
  CsvPrepareOptions Options(const std::string& text) {
    CsvPrepareOptions o;
    o.input = dir_.File("t.csv");
    testing::WriteText(o.input, text);
    o.out = dir_.File("t.h5");
    o.label_column = "y";
    return o;
  }
  testing::TempDir dir_;
};

TEST_F(CsvMissingFixture, MeanFillsFeaturesWithTheTrainSplitsMeans) {
  constexpr int kRows = 300;
  CsvPrepareOptions o = Options(GappyTable(kRows));
  o.impute_missing = true;
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  const DatasetSchema& s = f->schema();
  ASSERT_EQ(s.feature_names, (std::vector<std::string>{"id", "x", "c=a", "c=b"}));
  ASSERT_EQ(s.impute_values.size(), 4u);
  EXPECT_EQ(s.impute_values[2], 0.0f);
  EXPECT_EQ(s.impute_values[3], 0.0f);
  EXPECT_TRUE(s.ToJson().contains("impute_values"));

  // The train split's own x values (those not missing) give the mean.
  double sum = 0;
  int64_t n = 0, rows = 0;
  for (const std::string split : {"train", "val", "test"}) {
    const int64_t count = f->split(split).rows;
    std::vector<float> x(count * 4);
    std::vector<int32_t> y(count);
    f->ReadRows(split, 0, count, x.data(), y.data());
    for (int64_t r = 0; r < count; ++r) {
      const float* row = x.data() + r * 4;
      const int id = static_cast<int>(row[0]);
      EXPECT_NE(id % 11, 4) << "a row without a label was kept";
      EXPECT_EQ(y[r], id % 2);
      if (id % 5 == 0) {
        EXPECT_EQ(row[1], s.impute_values[1]) << split << " row " << id;
      } else {
        EXPECT_EQ(row[1], 2.0f * id);
        if (split == "train") sum += 2.0 * id, ++n;
      }
      const bool no_category = id % 7 == 3;
      EXPECT_EQ(row[2], !no_category && id % 3 ? 1.0f : 0.0f) << id;
      EXPECT_EQ(row[3], !no_category && id % 3 == 0 ? 1.0f : 0.0f) << id;
    }
    rows += count;
  }
  EXPECT_FLOAT_EQ(s.impute_values[1], static_cast<float>(sum / n));
  int dropped = 0;
  for (int i = 0; i < kRows; ++i) dropped += i % 11 == 4;
  EXPECT_EQ(rows, kRows - dropped);
  EXPECT_EQ(f->ReadLineage().value("rows_dropped_missing", -1), dropped);

  // A model of this dataset reads a later CSV with the same fills.
  const std::string later = dir_.File("later.csv");
  testing::WriteText(later, "c,x,id\n,NA,7\nb,?,8\na,4,9\n");
  const CsvColumns read = ReadCsvColumns(later, CsvInputColumns(s), ModelCsvOptions(s));
  const float m = s.impute_values[1];
  EXPECT_EQ(read.values, (std::vector<float>{7, m, 0, 0, 8, m, 0, 1, 9, 4, 1, 0}));
  EXPECT_EQ(read.imputed_cells, 3);
  const std::vector<std::string> notes = CsvReadNotes(later, read);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("3 missing values took the model's train means"), std::string::npos) << notes[0];
}

TEST_F(CsvMissingFixture, WithoutMeanAMissingValueStaysAnError) {
  CsvPrepareOptions o = Options(GappyTable(40));
  std::string e = ErrorOf(ErrorKind::kData, [&] { PrepareCsv(o, nlohmann::json::object()); });
  EXPECT_NE(e.find("column 'x': missing value ('NA')"), std::string::npos) << e;
  DatasetSchema s;
  s.task = Task::kRegression;
  s.sample_shape = {2};
  s.feature_names = {"id", "x"};
  testing::WriteText(dir_.File("later.csv"), "id,x\n1,\n");
  const std::string later = dir_.File("later.csv");
  e = ErrorOf(ErrorKind::kData, [&] { ReadCsvColumns(later, CsvInputColumns(s), ModelCsvOptions(s)); });
  EXPECT_NE(e.find("column 'x': missing value"), std::string::npos) << e;
}

TEST_F(CsvMissingFixture, AColumnWithoutTrainValuesHasNoMean) {
  CsvPrepareOptions o = Options("a,b,y\n1,,0\n2,,1\n3,,0\n4,,1\n");
  o.impute_missing = true;
  o.val_fraction = o.test_fraction = 0;
  const std::string e = ErrorOf(ErrorKind::kData, [&] { PrepareCsv(o, nlohmann::json::object()); });
  EXPECT_NE(e.find("column 'b' has no value in the train split"), std::string::npos) << e;
  EXPECT_FALSE(PathExists(o.out));
}

TEST_F(CsvMissingFixture, SchemaFromNeedsAReferenceThatImputes) {
  DatasetSchema ref;
  ref.sample_shape = {2};
  ref.feature_names = {"a", "b"};
  ref.class_names = {"0", "1"};
  CsvPrepareOptions o = Options("a,b,y\n1,,0\n2,5,1\n");
  o.reference = &ref;
  o.reference_path = "ref.h5";
  o.impute_missing = true;
  const std::string e = ErrorOf(ErrorKind::kUsage, [&] { PrepareCsv(o, nlohmann::json::object()); });
  EXPECT_NE(e.find("needs a reference prepared with --missing mean"), std::string::npos) << e;
  // A reference that imputes fills the new file with its own values.
  ref.impute_values = {1.5f, 7.25f};
  o.impute_missing = false;
  o.val_fraction = o.test_fraction = 0;
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  std::vector<float> x(4);
  std::vector<int32_t> y(2);
  f->ReadRows("train", 0, 2, x.data(), y.data());
  EXPECT_EQ(x, (std::vector<float>{1, 7.25f, 2, 5}));
  EXPECT_EQ(f->schema().impute_values, ref.impute_values);
}

TEST(CsvMissing, SchemaRefusesImputeValuesOfTheWrongSizeOrNotFinite) {
  DatasetSchema s;
  s.task = Task::kRegression;
  s.sample_shape = {2};
  s.feature_names = {"a", "b"};
  s.Validate();
  EXPECT_FALSE(s.ToJson().contains("impute_values"));
  s.impute_values = {1};
  EXPECT_THROW(s.Validate(), Error);
  s.impute_values = {1, std::nanf("")};
  EXPECT_THROW(s.Validate(), Error);
}

}  // namespace
}  // namespace aif
