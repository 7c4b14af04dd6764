// Categorical CSV columns: which columns are one-hot encoded, the order of
// their categories, the encoded values in every split (with dropped rows),
// the limit on distinct values, the schema that records them, and reading
// them back for a model (ReadCsvColumns) with values it was not trained on.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "data/class_lookup.h"
#include "data/csv_categorical.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/prepare.h"
#include "support/test_util.h"

namespace aif {
namespace {

class CsvCategoricalFixture : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.File(name);
    testing::WriteText(path, text);
    return path;
  }
  CsvPrepareOptions Options(const std::string& text) {
    CsvPrepareOptions o;
    o.input = Write("t.csv", text);
    o.out = dir_.File("t.h5");
    o.label_column = "y";
    return o;
  }
  std::string PrepareError(const CsvPrepareOptions& o, ErrorKind kind) {
    try {
      PrepareCsv(o, nlohmann::json::object());
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_FALSE(PathExists(o.out));
      return e.what();
    }
    ADD_FAILURE() << "expected an error";
    return "";
  }
  testing::TempDir dir_;
};

const char* const kColors[] = {"red", "green", "blue"};
const int kGrades[] = {3, 1, 10, 2};

// Rows whose numeric column `code` says which color and grade they hold:
// code = 10 * color index + grade index; every 7th row lacks its color.
std::string ColorTable(int rows, bool with_missing) {
  std::string text = "color,code,grade,y\n";
  for (int i = 0; i < rows; ++i) {
    const int c = i % 3, g = (i / 3) % 4;
    const bool missing = with_missing && i % 7 == 6;
    text += std::string(missing ? "" : kColors[c]) + "," + std::to_string(10 * c + g) + "," +
            std::to_string(kGrades[g]) + "," + (i % 2 ? "odd" : "even") + "\n";
  }
  return text;
}

TEST_F(CsvCategoricalFixture, TextAndNamedColumnsBecomeOneHotFeatures) {
  for (bool drop : {false, true}) {
    SCOPED_TRACE(drop ? "with dropped rows" : "all rows");
    CsvPrepareOptions o = Options(ColorTable(120, drop));
    o.drop_incomplete_rows = drop;
    o.categorical_columns = {"grade"};  // numbers, one-hot on request; sorted as numbers
    RemoveFileIfExists(o.out);
    PrepareCsv(o, nlohmann::json::object());
    auto f = DatasetFile::Open(o.out);
    const DatasetSchema& s = f->schema();
    EXPECT_EQ(s.feature_names, (std::vector<std::string>{"color=blue", "color=green", "color=red", "code", "grade=1",
                                                         "grade=2", "grade=3", "grade=10"}));
    ASSERT_EQ(s.categorical.size(), 2u);
    EXPECT_EQ(s.categorical[0].column, "color");
    EXPECT_EQ(s.categorical[0].categories, (std::vector<std::string>{"blue", "green", "red"}));
    EXPECT_EQ(s.categorical[0].first_feature, 0);
    EXPECT_EQ(s.categorical[1].column, "grade");
    EXPECT_EQ(s.categorical[1].categories, (std::vector<std::string>{"1", "2", "3", "10"}));
    EXPECT_EQ(s.categorical[1].first_feature, 4);
    EXPECT_TRUE(s.ToJson().contains("categorical"));

    // Every row of every split: exactly the one-hot positions its code says.
    int64_t total = 0;
    for (const auto& split : f->splits()) {
      std::vector<float> x(split.rows * 8);
      std::vector<int32_t> y(split.rows);
      f->ReadRows(split.name, 0, split.rows, x.data(), y.data());
      for (int64_t r = 0; r < split.rows; ++r) {
        const float* row = x.data() + r * 8;
        const int code = static_cast<int>(row[3]);
        const std::string color = kColors[code / 10];
        const std::string grade = std::to_string(kGrades[code % 10]);
        for (int k = 0; k < 3; ++k) EXPECT_EQ(row[k], s.categorical[0].categories[k] == color ? 1.0f : 0.0f) << r;
        for (int k = 0; k < 4; ++k) EXPECT_EQ(row[4 + k], s.categorical[1].categories[k] == grade ? 1.0f : 0.0f) << r;
      }
      total += split.rows;
    }
    EXPECT_EQ(total, drop ? 120 - 120 / 7 : 120);
  }
}

TEST_F(CsvCategoricalFixture, TooManyValuesIsAnErrorThatSaysWhatToDo) {
  CsvPrepareOptions o = Options(ColorTable(30, false));
  o.max_categories = 2;
  std::string e = PrepareError(o, ErrorKind::kData);
  for (const char* needle : {"column 'color'", "3 distinct values", "--max-categories 2", "'red' on line 2",
                             "--ignore-columns"}) {
    EXPECT_NE(e.find(needle), std::string::npos) << e;
  }
  // A named column only gets the limit; a numeric column with a decimal
  // comma gets told why it is text.
  o.max_categories = 3;
  o.categorical_columns = {"code"};
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find("column 'code'"), std::string::npos) << e;
  o = Options("a;y\n1,5;x\n2,5;y\n3,5;x\n");
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find("decimal commas"), std::string::npos) << e;
  o.max_categories = 2;
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find("decimal commas"), std::string::npos) << e;
  // Text in which most rows differ is an id, unless named.
  o = Options("note,x,y\nfirst,1,a\nsecond,2,b\nthird,3,a\nfourth,4,b\nfirst,5,a\n");
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find("4 distinct values in 5 rows"), std::string::npos) << e;
  o.categorical_columns = {"note"};
  EXPECT_NO_THROW(PrepareCsv(o, nlohmann::json::object()));
  RemoveFileIfExists(o.out);
  // Numbers with a few words: bad cells of a numeric column.
  o = Options("age,y\n31,a\n45,b\nunknown,a\n27,b\n52,a\n");
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find("holds numbers in 4 of 5 rows but text in the others (first: 'unknown' on line 4)"),
            std::string::npos) << e;
  // --categorical-columns names columns that exist and are features.
  for (const char* bad : {"nope", "y"}) {
    o = Options(ColorTable(30, false));
    o.categorical_columns = {bad};
    e = PrepareError(o, ErrorKind::kData);
    EXPECT_NE(e.find("--categorical-columns"), std::string::npos) << e;
  }
}

TEST_F(CsvCategoricalFixture, ModelInputsReadBackWithUnseenValuesAsZeros) {
  CsvPrepareOptions o = Options(ColorTable(60, false));
  PrepareCsv(o, nlohmann::json::object());
  const DatasetSchema schema = DatasetFile::Open(o.out)->schema();
  const auto columns = CsvInputColumns(schema);
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[0].name, "color");
  EXPECT_EQ(columns[0].width(), 3);
  EXPECT_EQ(columns[1].name, "code");
  EXPECT_EQ(columns[1].width(), 1);

  // Other column order, an extra column, a value never trained on.
  const std::string path = Write("new.csv", "id;grade;code;color\na;1;20;blue\nb;2;0;purple\nc;3;11;green\n");
  CsvTextColumn ids{"id", "--id-column", {}};
  CsvColumnsOptions options;
  options.text = &ids;
  CsvColumns read = ReadCsvColumns(path, columns, options);
  ASSERT_EQ(read.rows, 3);
  EXPECT_EQ(read.values, (std::vector<float>{1, 0, 0, 20, 1, 0, 0, 0, 0, 2, 0, 1, 0, 11, 3}));
  EXPECT_EQ(ids.values, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(read.unseen_categories.size(), 1u);
  EXPECT_NE(read.unseen_categories[0].find("column 'color': 1 of 3 rows"), std::string::npos);
  EXPECT_NE(read.unseen_categories[0].find("'purple' on line 3"), std::string::npos);

  // A missing categorical value is an error naming line and column.
  const std::string missing = Write("missing.csv", "color,code,grade\nred,1,3\n,2,3\n");
  try {
    ReadCsvColumns(missing, columns);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(":3: column 'color': missing value"), std::string::npos) << e.what();
  }
}

TEST_F(CsvCategoricalFixture, SchemaFromTakesColumnsByNameAndLabelsByClass) {
  DatasetSchema ref;
  ref.sample_shape = {2};
  ref.feature_names = {"b", "a"};
  ref.class_names = {"cat", "dog"};
  CsvPrepareOptions o = Options("a,extra,y,b\n1,x,0,10\n2,x,dog,20\n3,x,1,30\n4,x,cat,40\n");
  o.reference = &ref;
  o.reference_path = "ref.h5";
  o.val_fraction = o.test_fraction = 0;
  PrepareCsv(o, nlohmann::json::object());
  auto f = DatasetFile::Open(o.out);
  EXPECT_EQ(f->schema().feature_names, ref.feature_names);
  EXPECT_EQ(f->schema().class_names, ref.class_names);
  std::vector<float> x(8);
  std::vector<int32_t> y(4);
  f->ReadRows("train", 0, 4, x.data(), y.data());
  EXPECT_EQ(x, (std::vector<float>{10, 1, 20, 2, 30, 3, 40, 4}));
  EXPECT_EQ(y, (std::vector<int32_t>{0, 1, 1, 0}));  // ids 0..C-1 where no class is named by a number
  RemoveFileIfExists(o.out);

  o = Options("a,y,b\n1,2,10\n");
  o.reference = &ref;
  o.reference_path = "ref.h5";
  std::string e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find(":2: column 'y': '2' is not a class of --schema-from 'ref.h5' (classes: cat, dog; or their ids 0..1)"),
            std::string::npos) << e;
  ref.class_names = {"1", "2"};  // numbered classes: a label is its name only
  o = Options("a,y,b\n1,2,10\n2,0,20\n");
  o.reference = &ref;
  o.reference_path = "ref.h5";
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find(":3: column 'y': '0' is not a class"), std::string::npos) << e;
  o = Options("a,y\n1,1\n");
  o.reference = &ref;
  o.reference_path = "ref.h5";
  e = PrepareError(o, ErrorKind::kData);
  EXPECT_NE(e.find("no column 'b', which --schema-from 'ref.h5' needs"), std::string::npos) << e;
}

TEST(ClassLookup, NamesThenIntegerValuesThenIdsWhereNoClassIsANumber) {
  const ClassLookup named({"cat", "dog", "7"});  // a numbered class: no ids
  EXPECT_EQ(named.Find("dog"), 1);
  EXPECT_EQ(named.Find("7.0"), 2);
  EXPECT_EQ(named.Find("0"), std::nullopt);
  EXPECT_EQ(named.Describe(), "cat, dog, 7");
  const ClassLookup words({"T-shirt/top", "Trouser"});
  EXPECT_EQ(words.Find("Trouser"), 1);
  EXPECT_EQ(words.Find("1"), 1);
  EXPECT_EQ(words.Find("0.0"), 0);
  EXPECT_EQ(words.Find("2"), std::nullopt);
  EXPECT_EQ(words.Find("-1"), std::nullopt);
  EXPECT_EQ(words.Find("0.5"), std::nullopt);
  EXPECT_EQ(words.Describe(), "T-shirt/top, Trouser; or their ids 0..1");
}

TEST(CsvCategorical, CategoriesSortAsNumbersOnlyWhenAllAreNumbers) {
  EXPECT_EQ(SortCategories({"10", "9", "-1", "2.5"}), (std::vector<std::string>{"-1", "2.5", "9", "10"}));
  EXPECT_EQ(SortCategories({"10", "9", "b", "A"}), (std::vector<std::string>{"10", "9", "A", "b"}));
}

TEST(CsvCategorical, SchemaRefusesCategoriesThatDisagreeWithFeatureNames) {
  DatasetSchema s;
  s.sample_shape = {3};
  s.feature_names = {"c=a", "c=b", "x"};
  s.class_names = {"0", "1"};
  s.categorical = {{"c", {"a", "b"}, 0}};
  EXPECT_NO_THROW(s.Validate());
  s.categorical = {{"c", {"b", "a"}, 0}};
  EXPECT_THROW(s.Validate(), Error);
  s.categorical = {{"c", {"a", "b"}, 2}};
  EXPECT_THROW(s.Validate(), Error);
  s.categorical = {{"c", {}, 0}};
  EXPECT_THROW(s.Validate(), Error);
}

}  // namespace
}  // namespace aif
