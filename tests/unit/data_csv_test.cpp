// CSV tables and `PrepareCsv`: label mapping, task detection and every bad
// input case, each with a message naming the line and column.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/prepare.h"
#include "support/test_util.h"

namespace aif {
namespace {

TEST(CsvRecord, QuotesAndEscapes) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsvRecord("a,\"b,c\",\"d\"\"e\",", &f));
  EXPECT_EQ(f, (std::vector<std::string>{"a", "b,c", "d\"e", ""}));
  EXPECT_FALSE(SplitCsvRecord("a,\"open", &f));
  ASSERT_TRUE(SplitCsvRecord("1;\"2;3\";x", &f, ';'));
  EXPECT_EQ(f, (std::vector<std::string>{"1", "2;3", "x"}));
}

TEST(CsvRecord, DelimiterDetectionAndParsing) {
  EXPECT_EQ(DetectCsvDelimiter("a,b,y"), ',');
  EXPECT_EQ(DetectCsvDelimiter("a;b;y"), ';');
  EXPECT_EQ(DetectCsvDelimiter("a\tb\ty"), '\t');
  EXPECT_EQ(DetectCsvDelimiter("a|b|y"), '|');
  EXPECT_EQ(DetectCsvDelimiter("\"a,1\";\"b,2\";y"), ';');  // commas inside quotes do not count
  EXPECT_EQ(DetectCsvDelimiter("label"), ',');                // one column
  EXPECT_EQ(ParseCsvDelimiter("auto"), 0);
  EXPECT_EQ(ParseCsvDelimiter(";"), ';');
  EXPECT_EQ(ParseCsvDelimiter("tab"), '\t');
  EXPECT_THROW(ParseCsvDelimiter("::"), Error);
}

TEST(CsvRecord, MissingCellMarkers) {
  for (const char* cell : {"", "?", "NA", "na", "N/A", "n/a", "NaN", "nan", "NULL", "null"}) {
    EXPECT_TRUE(IsMissingCsvCell(cell)) << cell;
  }
  for (const char* cell : {"0", "N", "none", "nana", "nulls", "a/b", "??", "-"}) EXPECT_FALSE(IsMissingCsvCell(cell)) << cell;
}

class CsvFixture : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = dir_.File("t.csv");
    testing::WriteText(path, text);
    return path;
  }
  // Prepares and expects a data error mentioning every needle; checks that
  // no output file appears.
  void ExpectError(const std::string& text, std::vector<std::string> needles, ErrorKind kind = ErrorKind::kData) {
    SCOPED_TRACE(text);
    CsvPrepareOptions o;
    o.input = Write(text);
    o.out = dir_.File("out.h5");
    o.label_column = "y";
    ExpectErrorFrom(o, needles, kind);
  }
  void ExpectErrorFrom(const CsvPrepareOptions& o, std::vector<std::string> needles, ErrorKind kind) {
    try {
      PrepareCsv(o, nlohmann::json::object());
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
    EXPECT_FALSE(PathExists(o.out));
  }
  testing::TempDir dir_;
};

TEST_F(CsvFixture, BadInputsNameLineAndColumn) {
  ExpectError("", {"empty"});
  ExpectError("a,b,y\n", {"no data rows"});
  ExpectError("a,b,label\n1,2,x\n", {"no column named 'y'", "label"});
  ExpectError("a,b,y\n1,2,x\n3,,x\n", {":3:", "column 'b'", "missing value"});
  ExpectError("a,b,y\n1,2,x\n3,4\n", {":3:", "2 fields", "header has 3"});
  ExpectError("a,b,y\n1,2,x\n3,4,x,5\n", {":3:", "4 fields"});
  ExpectError("a,a,y\n1,2,x\n", {"duplicate", "'a'"});
  ExpectError("1,2,0\n3,4,1\n", {":1:", "looks like data", "header row"});
  ExpectError("a,,y\n1,2,x\n", {"column 2 has no name"});
  ExpectError("a,b,y\n1,nan,x\n", {":2:", "column 'b'", "missing value ('nan')", "--missing drop"});
  ExpectError("a,b,y\n1,NA,x\n", {":2:", "column 'b'", "missing value ('NA')"});
  ExpectError("a,b,y\n1,2,?\n", {":2:", "column 'y'", "missing value ('?')"});
  ExpectError("a,b,y\n1,inf,x\n", {":2:", "column 'b'", "finite"});
  ExpectError("a,b,y\n1,2,\"x\n", {":2:", "unterminated"});
  ExpectError("a,y\n1,x\n2,x\n", {"no training rows"}, ErrorKind::kUsage);
}

TEST_F(CsvFixture, StringLabelsBecomeSortedClasses) {
  std::string text = "sepal,petal,y\n";
  const char* names[] = {"virginica", "setosa", "versicolor"};
  for (int i = 0; i < 60; ++i) text += std::to_string(i) + "," + std::to_string(i % 5) + "," + names[i % 3] + "\n";
  CsvPrepareOptions o;
  o.input = Write(text);
  o.out = dir_.File("iris.h5");
  o.label_column = "y";
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  EXPECT_EQ(f->schema().task, Task::kClassification);
  EXPECT_EQ(f->schema().class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(f->schema().feature_names, (std::vector<std::string>{"sepal", "petal"}));
  EXPECT_EQ(f->split("train").rows + f->split("val").rows + f->split("test").rows, 60);
  EXPECT_EQ(f->split("val").rows, 6);
  EXPECT_EQ(f->split("test").rows, 6);
  // Every row lands in exactly one split with its label intact.
  std::set<int> ids;
  for (const auto& s : f->splits()) {
    std::vector<float> x(s.rows * 2);
    std::vector<int32_t> y(s.rows);
    f->ReadRows(s.name, 0, s.rows, x.data(), y.data());
    for (int64_t r = 0; r < s.rows; ++r) {
      int id = static_cast<int>(x[r * 2]);
      ids.insert(id);
      EXPECT_EQ(f->schema().class_names[y[r]], names[id % 3]);
    }
  }
  EXPECT_EQ(ids.size(), 60u);
}

TEST_F(CsvFixture, TaskDetectionAndRegressionTargets) {
  std::string text = "x,y\n";
  for (int i = 0; i < 30; ++i) text += std::to_string(i) + "," + std::to_string(i * 0.5 + 0.25) + "\n";
  CsvPrepareOptions o;
  o.input = Write(text);
  o.out = dir_.File("reg.h5");
  o.label_column = "y";
  o.val_fraction = 0;
  o.test_fraction = 0;
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  EXPECT_EQ(f->schema().task, Task::kRegression);
  EXPECT_FALSE(f->HasSplit("val"));
  FeatureStats st = f->ReadStats();
  EXPECT_NEAR(st.label_mean, 7.5, 1e-9);
  EXPECT_EQ(st.label_min, 0.25);
  // Integer labels are classes, numbered by value.
  text = "x,y\n";
  for (int i = 0; i < 30; ++i) text += std::to_string(i) + "," + std::to_string(i % 3 == 0 ? 10 : 2) + "\n";
  o.input = Write(text);
  o.out = dir_.File("cls.h5");
  PrepareCsv(o, nlohmann::json::object());
  EXPECT_EQ(DatasetFile::Open(o.out)->schema().class_names, (std::vector<std::string>{"2", "10"}));
  // A regression task refuses text targets, naming the line.
  text = "x,y\n1,2.5\n2,high\n";
  o.input = Write(text);
  o.out = dir_.File("bad.h5");
  o.task = "regression";
  ExpectErrorFrom(o, {":3:"}, ErrorKind::kData);
}

TEST_F(CsvFixture, MissingValuesDropRowsWhenAsked) {
  std::string text = "id,a,b,y\n";
  int complete = 0;
  const char* holes[] = {"", "NA", "n/a", "NaN", "null", "?"};
  for (int i = 0; i < 60; ++i) {
    const bool hole = i % 7 == 3;
    // Holes in the ignored id column do not count.
    text += std::string(i % 5 == 0 ? "" : std::to_string(i)) + "," + std::to_string(i) + "," +
            (hole ? holes[i % 6] : std::to_string(2 * i)) + "," + (i % 2 ? "odd" : "even") + "\n";
    complete += !hole;
  }
  CsvPrepareOptions o;
  o.input = Write(text);
  o.out = dir_.File("drop.h5");
  o.label_column = "y";
  o.ignore_columns = {"id"};
  o.val_fraction = o.test_fraction = 0;
  try {
    PrepareCsv(o, nlohmann::json::object());
    ADD_FAILURE() << "a missing value must be an error by default";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--missing drop"), std::string::npos) << e.what();
  }
  o.drop_incomplete_rows = true;
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  const SplitInfo& train = f->split("train");
  ASSERT_EQ(train.rows, complete);
  std::vector<float> x(train.rows * 2);
  std::vector<int32_t> y(train.rows);
  f->ReadRows("train", 0, train.rows, x.data(), y.data());
  for (int64_t r = 0; r < train.rows; ++r) {
    EXPECT_NE(static_cast<int>(x[2 * r]) % 7, 3);  // the rows with holes are gone
    EXPECT_EQ(x[2 * r + 1], 2 * x[2 * r]);
  }
  EXPECT_EQ(f->ReadLineage().value("rows_dropped_missing", int64_t{-1}), 60 - complete);
  // Nothing complete at all is an error.
  o.input = Write("a,y\nNA,1\n,2\n");
  o.out = dir_.File("none.h5");
  EXPECT_THROW(PrepareCsv(o, nlohmann::json::object()), Error);
  EXPECT_FALSE(PathExists(o.out));
}

// Pixel columns become images: the schema's sample shape, rows unchanged.
TEST_F(CsvFixture, SampleShapeMakesImages) {
  std::string text = "label";
  for (int i = 0; i < 12; ++i) text += ",p" + std::to_string(i);
  text += "\n";
  for (int r = 0; r < 20; ++r) {
    text += std::to_string(r % 2);
    for (int i = 0; i < 12; ++i) text += "," + std::to_string(r * 12 + i);
    text += "\n";
  }
  CsvPrepareOptions o;
  o.input = Write(text);
  o.out = dir_.File("img.h5");
  o.label_column = "label";
  o.val_fraction = o.test_fraction = 0;
  o.sample_shape = {3, 2, 2};
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  EXPECT_EQ(f->schema().sample_shape, (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(f->schema().num_features(), 12);
  std::vector<float> x(20 * 12);
  std::vector<int32_t> y(20);
  f->ReadRows("train", 0, 20, x.data(), y.data());
  for (int i = 0; i < 20 * 12; ++i) ASSERT_EQ(x[i], static_cast<float>(i));
  // A shape that does not hold the columns is a usage error.
  o.out = dir_.File("bad.h5");
  o.sample_shape = {1, 3, 3};
  ExpectErrorFrom(o, {"--sample-shape 1,3,3 holds 9 values", "12 features"}, ErrorKind::kUsage);
}

TEST_F(CsvFixture, ImageModelsReadPixelsByPositionWhenTheCsvNamesThemOtherwise) {
  DatasetSchema images;
  images.sample_shape = {1, 2, 2};
  images.feature_names = {"pixel_0_0", "pixel_0_1", "pixel_1_0", "pixel_1_1"};
  images.class_names = {"a", "b"};
  images.label_name = "class";
  // A label column named 'label' and an 'id' are not pixels; the others are, in order.
  CsvColumns read = ReadCsvColumns(Write("id,q0,label,q1,q2,q3\n7,1,a,2,3,4\n8,5,b,6,7,8\n"),
                                   CsvInputColumns(images), ModelCsvOptions(images));
  EXPECT_TRUE(read.by_position);
  EXPECT_EQ(read.values, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_EQ(CsvReadNotes("t.csv", read).size(), 1u);
  // The model's own names win; a column too many is an error naming the counts.
  read = ReadCsvColumns(Write("pixel_1_1,x,pixel_0_0,pixel_0_1,pixel_1_0\n4,9,1,2,3\n"), CsvInputColumns(images),
                        ModelCsvOptions(images));
  EXPECT_FALSE(read.by_position);
  EXPECT_EQ(read.values, (std::vector<float>{1, 2, 3, 4}));
  try {
    ReadCsvColumns(Write("q0,q1,q2,q3,extra\n1,2,3,4,5\n"), CsvInputColumns(images), ModelCsvOptions(images));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the 5 columns besides the label and id columns are not its 4 pixels"),
              std::string::npos)
        << e.what();
  }
  // A text column's fallback name is read where its own name is absent.
  CsvTextColumn labels{"class", "--label-column", {}, /*optional=*/true};
  labels.fallbacks = {"label"};
  CsvColumnsOptions options = ModelCsvOptions(images);
  options.text = &labels;
  read = ReadCsvColumns(Write("q0,label,q1,q2,q3\n1,a,2,3,4\n"), CsvInputColumns(images), options);
  EXPECT_TRUE(labels.present);
  EXPECT_EQ(labels.name, "label");
  EXPECT_EQ(labels.values, (std::vector<std::string>{"a"}));
  EXPECT_EQ(read.values, (std::vector<float>{1, 2, 3, 4}));
  // Tabular models never read by position.
  DatasetSchema table = images;
  table.sample_shape = {4};
  EXPECT_FALSE(ModelCsvOptions(table).pixels_by_position);
}

TEST_F(CsvFixture, OtherDelimitersAndIgnoredColumns) {
  // Semicolons and tabs are detected from the header; ids and text dropped.
  for (const char* sep : {";", "\t", "|"}) {
    std::string text = std::string("id") + sep + "name" + sep + "a" + sep + "y" + sep + "b\n";
    for (int i = 0; i < 40; ++i) {
      text += std::to_string(1000 + i) + sep + "\"row " + std::to_string(i) + "\"" + sep + std::to_string(i) + sep +
              (i % 2 ? "odd" : "even") + sep + std::to_string(2 * i) + "\n";
    }
    CsvPrepareOptions o;
    o.input = Write(text);
    o.out = dir_.File("sep.h5");
    o.label_column = "y";
    o.ignore_columns = {"id", "name"};
    RemoveFileIfExists(o.out);
    PrepareCsv(o, nlohmann::json::object());
    auto f = DatasetFile::Open(o.out);
    EXPECT_EQ(f->schema().feature_names, (std::vector<std::string>{"a", "b"})) << sep;
    const SplitInfo& train = f->split("train");
    std::vector<float> x(train.rows * 2);
    std::vector<int32_t> y(train.rows);
    f->ReadRows("train", 0, train.rows, x.data(), y.data());
    for (int64_t r = 0; r < train.rows; ++r) {
      EXPECT_EQ(x[2 * r + 1], 2 * x[2 * r]);
      EXPECT_EQ(f->schema().class_names[y[r]], static_cast<int>(x[2 * r]) % 2 ? "odd" : "even");
    }
  }
  // Without --ignore-columns a free-text column has too many values to be
  // categorical: an error that says how to drop it.
  const std::string text = "id,name,y\n1,abc,0\n2,def,1\n3,ghi,1\n";
  CsvPrepareOptions free_text;
  free_text.input = Write(text);
  free_text.out = dir_.File("x.h5");
  free_text.label_column = "y";
  free_text.max_categories = 2;
  ExpectErrorFrom(free_text, {"column 'name'", "'abc' on line 2", "--ignore-columns"}, ErrorKind::kData);
  // Naming a missing column, or the label, is an error too.
  CsvPrepareOptions o;
  o.input = Write(text);
  o.out = dir_.File("x.h5");
  o.label_column = "y";
  for (auto ignore : {std::vector<std::string>{"nope"}, std::vector<std::string>{"y"},
                      std::vector<std::string>{"id", "name"}}) {
    o.ignore_columns = ignore;
    EXPECT_THROW(PrepareCsv(o, nlohmann::json::object()), Error) << ignore[0];
  }
  // An explicit delimiter that does not match: one column, with a hint.
  o.ignore_columns.clear();
  o.delimiter = ';';
  ExpectErrorFrom(o, {"--delimiter"}, ErrorKind::kData);
}

}  // namespace
}  // namespace aif
