#include "nn/model_spec.h"

#include <cctype>

#include "core/error.h"
#include "core/strings.h"

namespace aif {
namespace {

const char* kKnown =
    "mlp W-W-...-W [relu|gelu] [dropout=P], linear(N), conv(K,R[,stride=S][,pad=P]), pool(K[,S]), flatten, relu, "
    "gelu, dropout(P)";

[[noreturn]] void Bad(const std::string& spec, size_t position, const std::string& token, const std::string& why) {
  ThrowUsage("model spec '%s': token %zu '%s': %s (known: %s)", spec.c_str(), position + 1, token.c_str(), why.c_str(),
             kKnown);
}

int64_t PositiveInt(const std::string& spec, size_t pos, const std::string& token, const std::string& text) {
  auto v = ParseInt(text);
  if (!v || *v <= 0) Bad(spec, pos, token, "'" + text + "' is not a positive integer");
  return *v;
}

double Probability(const std::string& spec, size_t pos, const std::string& token, const std::string& text) {
  auto v = ParseDouble(text);
  if (!v || *v < 0 || *v >= 1) Bad(spec, pos, token, "dropout probability must be in [0, 1)");
  return *v;
}

}  // namespace

std::vector<LayerToken> ParseModelSpec(const std::string& spec, int64_t* mlp_inputs) {
  *mlp_inputs = 0;
  // Split on whitespace, but keep "conv(32, 3)" together.
  std::vector<std::string> words;
  std::string cur;
  int depth = 0;
  for (char c : spec) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (std::isspace(static_cast<unsigned char>(c)) && depth == 0) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (!cur.empty()) words.push_back(cur);
  if (words.empty()) ThrowUsage("the model spec is empty; e.g. 'mlp 784-256-10 relu' (see docs/models.md)");

  std::vector<LayerToken> out;
  if (words[0] == "mlp") {
    if (words.size() < 2) Bad(spec, 0, "mlp", "needs widths, e.g. mlp 784-256-10");
    std::vector<int64_t> widths;
    for (const std::string& w : Split(words[1], '-')) widths.push_back(PositiveInt(spec, 1, words[1], w));
    if (widths.size() < 2) Bad(spec, 1, words[1], "an mlp needs at least an input and an output width");
    std::string act = "relu";
    double dropout = 0;
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] == "relu" || words[i] == "gelu") act = words[i];
      else if (StartsWith(words[i], "dropout=")) dropout = Probability(spec, i, words[i], words[i].substr(8));
      else Bad(spec, i, words[i], "an mlp takes only an activation and dropout=P after its widths");
    }
    *mlp_inputs = widths[0];
    out.push_back(LayerToken{"flatten", {}, 0, "mlp"});
    for (size_t i = 1; i < widths.size(); ++i) {
      out.push_back(LayerToken{"linear", {widths[i]}, 0, words[1]});
      if (i + 1 < widths.size()) {
        out.push_back(LayerToken{act, {}, 0, act});
        if (dropout > 0) out.push_back(LayerToken{"dropout", {}, dropout, "dropout"});
      }
    }
    return out;
  }

  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    std::string name = w, inner;
    size_t open = w.find('(');
    if (open != std::string::npos) {
      if (w.back() != ')') Bad(spec, i, w, "missing ')'");
      name = w.substr(0, open);
      inner = w.substr(open + 1, w.size() - open - 2);
    }
    std::vector<std::string> args = inner.empty() ? std::vector<std::string>{} : Split(inner, ',');
    LayerToken t;
    t.text = w;
    if (name == "mlp") Bad(spec, i, w, "'mlp' must be the first word of a spec");
    if (name == "linear") {
      if (args.size() != 1) Bad(spec, i, w, "linear takes one width: linear(N)");
      t.kind = "linear";
      t.ints = {PositiveInt(spec, i, w, args[0])};
    } else if (name == "conv") {
      if (args.size() < 2) Bad(spec, i, w, "conv takes filters and kernel size: conv(K,R)");
      t.kind = "conv";
      t.ints = {PositiveInt(spec, i, w, args[0]), PositiveInt(spec, i, w, args[1]), 1, 0};
      for (size_t a = 2; a < args.size(); ++a) {
        if (StartsWith(args[a], "stride=")) t.ints[2] = PositiveInt(spec, i, w, args[a].substr(7));
        else if (StartsWith(args[a], "pad=")) {
          auto v = ParseInt(args[a].substr(4));
          if (!v || *v < 0) Bad(spec, i, w, "pad must be a non-negative integer");
          t.ints[3] = *v;
        } else {
          Bad(spec, i, w, "unknown conv argument '" + args[a] + "' (stride=S, pad=P)");
        }
      }
    } else if (name == "pool" || name == "maxpool") {
      if (args.empty() || args.size() > 2) Bad(spec, i, w, "pool takes a window and an optional stride: pool(K[,S])");
      t.kind = "pool";
      int64_t k = PositiveInt(spec, i, w, args[0]);
      t.ints = {k, args.size() == 2 ? PositiveInt(spec, i, w, args[1]) : k};
    } else if (name == "flatten" || name == "relu" || name == "gelu") {
      if (open != std::string::npos) Bad(spec, i, w, name + " takes no arguments");
      t.kind = name;
    } else if (name == "dropout" || StartsWith(w, "dropout=")) {
      t.kind = "dropout";
      std::string p = StartsWith(w, "dropout=") ? w.substr(8) : inner;
      t.value = Probability(spec, i, w, p);
    } else {
      Bad(spec, i, w, "unknown layer");
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace aif
